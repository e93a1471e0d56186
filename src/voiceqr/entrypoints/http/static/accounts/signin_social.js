// The "Remember me" box of the password form also applies to "Continue with ...".
document.querySelectorAll("form.social").forEach((social) => {
  social.addEventListener("submit", () => {
    const box = document.querySelector('form[action="/signin"] input[name="remember_me"]');
    social.querySelector('input[name="remember_me"]').value = box && box.checked ? "on" : "";
  });
});
