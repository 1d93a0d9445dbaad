// Results update as you type; without JavaScript the form submits as usual.
(function () {
  const form = document.getElementById("search-form");
  const results = document.getElementById("results");
  if (!form || !results || !window.fetch) return;
  let timer = null, controller = null;
  function refresh(typing) {
    const params = new URLSearchParams(new FormData(form));
    params.set("page", "1");
    const pageUrl = form.action + "?" + params.toString();
    params.set("partial", "1");
    if (typing) params.set("typing", "1");
    if (controller) controller.abort();
    controller = new AbortController();
    fetch(form.action + "?" + params.toString(), {signal: controller.signal, credentials: "same-origin"})
      .then(r => r.ok ? r.text() : Promise.reject(r.status))
      .then(html => { results.innerHTML = html; history.replaceState(null, "", pageUrl); })
      .catch(() => {});
  }
  form.addEventListener("input", e => {
    clearTimeout(timer);
    timer = setTimeout(() => refresh(e.target.name === "q"), e.target.name === "q" ? 200 : 0);
  });
  form.addEventListener("change", e => { if (e.target.name !== "q") refresh(false); });
})();
