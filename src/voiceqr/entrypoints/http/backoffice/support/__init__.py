"""The support queue: staff answer, note, assign, close and retry from tickets."""
