// Switching the language reloads the page: what was typed into the page's forms is kept for that
// reload (sessionStorage, this tab only) and put back. (A page cannot put back files chosen but not yet
// sent: those are chosen again; files already sent with a form are held by the server.)
(function () {
  const KEY = "kb-kept:" + location.pathname;
  const SWITCH = ".langswitch, .languages";
  const kept = el => el.name && !["hidden", "file", "password", "submit", "button"].includes(el.type);
  const forms = () => Array.from(document.querySelectorAll("form")).filter(f => !f.matches(SWITCH));

  document.addEventListener("submit", event => {
    if (!event.target.matches(SWITCH)) return;
    const saved = [];
    forms().forEach((form, i) => Array.from(form.elements).filter(kept).forEach(el => {
      if (el.type === "checkbox" || el.type === "radio") saved.push([i, el.name, el.value, el.checked]);
      else if (el.value) saved.push([i, el.name, el.value, null]);
    }));
    if (saved.length) sessionStorage.setItem(KEY, JSON.stringify(saved));
  }, true);

  function restore(saved, all) {
    saved.forEach(([i, name, value, checked]) => {
      const form = all[i];
      if (!form) return;
      Array.from(form.elements).filter(el => kept(el) && el.name === name).forEach(el => {
        if (el.type === "checkbox" || el.type === "radio") {
          if (el.value === value) el.checked = checked;
        } else {
          el.value = value;
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return;
    sessionStorage.removeItem(KEY);
    const saved = JSON.parse(raw), all = forms();
    restore(saved, all);
    // Lists that follow another list (the ticket form's product) are rebuilt on its change: then again.
    all.forEach(form => form.querySelectorAll("select").forEach(s => s.dispatchEvent(new Event("change"))));
    restore(saved, all);
  });
})();
