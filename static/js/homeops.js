// Small progressive enhancements; every page works without this file.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  field.select();
  navigator.clipboard?.writeText(field.value).then(
    () => { button.textContent = "Copied"; },
    () => { document.execCommand("copy"); button.textContent = "Copied"; },
  );
});

// A "Print" button (the annual review): shown only when this file runs, since it needs it.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
