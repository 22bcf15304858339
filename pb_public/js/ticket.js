// Kopā: keeping a ticket that was not sent by e-mail. The share button
// opens the phone's share sheet (Web Share API) with the ticket's link, or
// copies the link where there is none; the print button prints the ticket.
// Both are hidden until this script shows them: without JavaScript the
// page keeps its calendar and print links.
(function () {
  "use strict";
  var status = document.querySelector("[data-share-status]");
  function say(text) { if (status) status.textContent = text; }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain HTTP or an old browser: select a hidden field and copy it.
    return new Promise(function (resolve, reject) {
      var field = document.createElement("textarea");
      field.value = text;
      field.setAttribute("readonly", "");
      field.style.position = "fixed";
      field.style.opacity = "0";
      document.body.appendChild(field);
      field.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(field);
      if (ok) { resolve(); } else { reject(new Error("copy")); }
    });
  }

  var share = document.querySelector("[data-share]");
  if (share) {
    var url = new URL(share.getAttribute("data-share"), window.location.href).href;
    share.hidden = false;
    share.addEventListener("click", function () {
      if (navigator.share) {
        navigator.share({ title: share.getAttribute("data-title") || document.title, url: url }).catch(function (e) {
          if (e && e.name === "AbortError") return; // the person closed the sheet
          copy(url).then(function () { say(share.getAttribute("data-copied")); },
            function () { say(share.getAttribute("data-copy-failed") + " " + url); });
        });
        return;
      }
      copy(url).then(function () { say(share.getAttribute("data-copied")); },
        function () { say(share.getAttribute("data-copy-failed") + " " + url); });
    });
  }

  var print = document.querySelector("[data-print]");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
