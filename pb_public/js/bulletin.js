// Kopā: the bulletin editor in the console. The form is saved through
// PocketBase's record API with the session's API token (KopaSession): the
// text may be longer than a form's 64 KiB, and images go to the record's
// file field, which checks them (images only, 5 MB at most) and makes the
// thumbnails. Errors come back per field and are shown beside each field.
(function () {
  "use strict";
  var form = document.getElementById("bulletin-form");
  if (!form || !window.KopaSession) return;
  var fields = ["title_lv", "body_lv", "title_en", "summary_en", "title_ru", "summary_ru"];
  var status = document.getElementById("save-status");
  var formError = document.getElementById("form-error");

  function msg(name) { return form.getAttribute("data-msg-" + name) || ""; }

  function clearErrors() {
    formError.hidden = true;
    formError.textContent = "";
    form.querySelectorAll("p.error[id$='-error']").forEach(function (p) {
      if (p === formError) return;
      p.hidden = true;
      p.textContent = "";
      var input = document.getElementById(p.id.replace(/-error$/, ""));
      if (input) input.removeAttribute("aria-invalid");
    });
  }

  function messageFor(field, err) {
    var code = (err && err.code) || "";
    if (code === "validation_required") return msg("required");
    if (field === "images") {
      if (code === "validation_invalid_mime_type") return msg("image-type");
      if (code === "validation_file_size_limit") return msg("image-size");
    }
    return msg("invalid") + (err && err.message ? " (" + err.message + ")" : "");
  }

  function showErrors(data) {
    var first = null;
    Object.keys(data || {}).forEach(function (field) {
      var p = document.getElementById(field + "-error");
      var input = document.getElementById(field);
      if (!p || !input) {
        formError.textContent = msg("failed");
        formError.hidden = false;
        return;
      }
      p.textContent = messageFor(field, data[field]);
      p.hidden = false;
      input.setAttribute("aria-invalid", "true");
      if (!first) first = input;
    });
    if (first) first.focus();
  }

  function send(method, url, body) {
    return window.KopaSession.token().then(function (s) {
      return fetch(url, {
        method: method,
        credentials: "same-origin",
        headers: { "Authorization": s.token },
        body: body
      });
    });
  }

  function answer(r) {
    return r.json().catch(function () { return {}; }).then(function (j) {
      if (r.ok) {
        window.location.assign("/manage/bulletins/" + j.id + "?notice=saved");
        return;
      }
      status.textContent = "";
      if (j && j.data && Object.keys(j.data).length) {
        showErrors(j.data);
      } else {
        formError.textContent = msg("failed") + (j && j.message ? " (" + j.message + ")" : "");
        formError.hidden = false;
      }
    });
  }

  function failed() {
    status.textContent = "";
    formError.textContent = msg("failed");
    formError.hidden = false;
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    clearErrors();
    var id = form.getAttribute("data-id");
    var body = new FormData();
    fields.forEach(function (f) { body.append(f, form.elements[f].value); });
    var files = form.elements.images.files;
    for (var i = 0; i < files.length; i++) body.append("images+", files[i]);
    status.textContent = msg("saving");
    var url = "/api/collections/bulletins/records" + (id ? "/" + encodeURIComponent(id) : "");
    send(id ? "PATCH" : "POST", url, body).then(answer, failed);
  });

  form.querySelectorAll("button[data-remove]").forEach(function (b) {
    b.addEventListener("click", function () {
      clearErrors();
      var id = form.getAttribute("data-id");
      var body = new FormData();
      body.append("images-", b.getAttribute("data-remove"));
      send("PATCH", "/api/collections/bulletins/records/" + encodeURIComponent(id), body).then(answer, failed);
    });
  });
})();
