// A canned answer goes into the comment or solution being written, at the cursor, without reloading the
// page: nothing typed is lost. Without JavaScript the form reloads the page with the answer filled in.
document.addEventListener("submit", event => {
  const form = event.target;
  if (!form.matches("form.canned")) return;
  const target = document.getElementById(form.dataset.target);
  const option = form.querySelector("select").selectedOptions[0];
  if (!target || !option) return;
  event.preventDefault();
  const start = target.selectionStart ?? target.value.length, end = target.selectionEnd ?? start;
  target.value = target.value.slice(0, start) + option.dataset.text + target.value.slice(end);
  target.focus();
});
