// A refused form is answered with its page again (the values kept, the errors beside them) at the form's
// own address; the address bar then shows the page's address instead (data-page-url on <body>), so that a
// reload, a bookmark or a shared link reaches the page and does not send the form again.
(function () {
  const url = document.body.dataset.pageUrl;
  if (url && url !== location.pathname + location.search) history.replaceState(null, "", url);
})();
