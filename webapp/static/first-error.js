// After a refused submit the server renders the form again: move focus to the first field it refused,
// so keyboard and screen-reader users land on the problem (its message is its aria-describedby).
document.addEventListener("DOMContentLoaded", () => {
  const first = document.querySelector("main [aria-invalid=true]");
  if (first) first.focus();
});
