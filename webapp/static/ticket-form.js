// The ticket form: lists that follow the product, a Markdown preview, notices for the chosen product, and matching answers while the problem is typed.
// Without JavaScript the form still works: every list shows all entries grouped by product.
(function () {
  const form = document.getElementById("ticket-form");
  if (!form) return;
  const csrf = form.querySelector("input[name=csrf_token]").value;
  const product = form.querySelector("#product");

  // -- lists that follow the product ----------------------------------------------------------
  const lists = Array.from(form.querySelectorAll("select[data-follows-product]")).map(select => ({
    select, groups: Array.from(select.querySelectorAll("optgroup")).map(g => g.cloneNode(true)),
  }));
  function followProduct() {
    for (const {select, groups} of lists) {
      const chosen = select.value;
      select.querySelectorAll("optgroup, option[data-product]").forEach(n => n.remove());
      const group = groups.find(g => g.dataset.product === product.value);
      if (group) group.querySelectorAll("option").forEach(o => select.appendChild(o.cloneNode(true)));
      select.value = Array.from(select.options).some(o => o.value === chosen) ? chosen : "";
      select.disabled = !group;
    }
    document.querySelectorAll("[data-notice-product]").forEach(n => {
      n.hidden = n.dataset.noticeProduct !== "" && n.dataset.noticeProduct !== product.value;
    });
  }
  product.addEventListener("change", followProduct);
  followProduct();
  form.addEventListener("submit", () => lists.forEach(({select}) => { select.disabled = false; }));

  // -- the report's name and filters: asked for when the chosen category or routine, or the application, is a report --
  const reportField = form.querySelector("[data-report-field]");
  if (reportField) {
    const reportName = reportField.querySelector("textarea"), application = form.querySelector("#application");
    const reporting = () => Array.from(form.querySelectorAll("select[data-follows-product]")).some(
      s => s.selectedOptions[0] && s.selectedOptions[0].hasAttribute("data-reporting"))
      || /report|rapport|raport/i.test(application.value);
    const showReport = () => { reportField.hidden = !(reporting() || reportName.value.trim()); };
    form.addEventListener("change", showReport);
    application.addEventListener("input", showReport);
    showReport();
  }

  // -- "Show licence info" shows the chosen end customer's licences for a partner --------------------
  const endCustomer = form.querySelector("#end_customer");
  const licences = form.querySelector("[data-licences]");
  if (endCustomer && licences) {
    const base = licences.getAttribute("href");
    const point = () => { licences.href = endCustomer.value ? `${base}?organisation=${endCustomer.value}` : base; };
    endCustomer.addEventListener("change", point);
    point();
  }

  // -- Markdown preview ---------------------------------------------------------------------------
  form.querySelectorAll("[data-preview]").forEach(button => {
    const source = form.querySelector("#" + button.dataset.preview);
    const target = form.querySelector(`[data-preview-of="${button.dataset.preview}"]`);
    button.hidden = false;
    button.addEventListener("click", () => {
      const body = new URLSearchParams({text: source.value, csrf_token: csrf});
      fetch(form.action.replace(/new$/, "preview"), {method: "POST", body, credentials: "same-origin",
        headers: {"X-CSRFToken": csrf}})
        .then(r => r.ok ? r.text() : Promise.reject(r.status))
        .then(html => { target.innerHTML = html; target.hidden = false; })
        .catch(() => {});
    });
  });

  // -- deflection: matching experience-database answers while the problem is typed ------------------
  const panel = document.getElementById("deflection");
  const results = panel && panel.querySelector("[data-deflection-results]");
  const subject = form.querySelector("#subject"), description = form.querySelector("#description");
  let timer = null, controller = null;
  function lookup() {
    const words = (subject.value + " " + description.value.split(/\s+/).slice(0, 20).join(" ")).trim();
    if (words.length < 3) { panel.hidden = true; return; }
    // Only answers that hold enough of what is typed: nothing rather than unrelated answers.
    const params = new URLSearchParams({q: words, mode: "free", lang: document.documentElement.lang,
                                        min_match: panel.dataset.minMatch || "0"});
    if (controller) controller.abort();
    controller = new AbortController();
    fetch(panel.dataset.searchUrl + "?" + params, {signal: controller.signal, credentials: "same-origin"})
      .then(r => r.ok ? r.json() : Promise.reject(r.status))
      .then(data => {
        results.replaceChildren();
        data.results.slice(0, 5).forEach(hit => {
          const li = document.createElement("li");
          const a = document.createElement("a");
          a.href = hit.url + "?from=ticket";
          a.target = "_blank";
          a.rel = "noopener";
          a.textContent = hit.title;
          li.appendChild(a);
          results.appendChild(li);
        });
        panel.hidden = data.results.length === 0;
      })
      .catch(() => {});
  }
  [subject, description].forEach(el => el.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(lookup, 250);
  }));
  if (subject.value) lookup();
})();
