// Kopā: the signed-in person's API token for the page's own scripts (the
// scanner, the live dashboard). The session cookie is HttpOnly; the page asks
// for a token with its CSRF token, keeps it in memory only, and never puts it
// in a URL.
(function () {
  "use strict";
  var cached = null;
  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }
  window.KopaSession = {
    csrf: csrf,
    // token() resolves to {token, collection, id}; refresh=true asks anew.
    token: function (refresh) {
      if (cached && !refresh) return Promise.resolve(cached);
      return fetch("/manage/token", {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf() }
      }).then(function (r) {
        if (!r.ok) throw new Error("session " + r.status);
        return r.json();
      }).then(function (j) { cached = j; return j; });
    }
  };
})();
