// Kopā scanner service worker: keeps the scanner page and its files, so the
// door keeps working (judging scans from the ticket list on the device)
// when the connection drops. Served from /manage/scan-sw.js with scope
// /manage/.
"use strict";
var CACHE = "kopa-scanner-v1";
var FILES = ["/static/css/kopa.css", "/static/css/scanner.css", "/static/js/session.js", "/static/js/scanner.js", "/static/vendor/jsqr/jsQR.js", "/static/img/logo.svg"];
self.addEventListener("install", function (e) {
  e.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(FILES); }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (e) { e.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", function (e) {
  var url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== location.origin) return;
  var isScanner = /^\/manage\/events\/[^/]+\/scan$/.test(url.pathname);
  if (!isScanner && FILES.indexOf(url.pathname) < 0) return;
  // Network first, so a signed-in page stays fresh; the cache when offline.
  e.respondWith(fetch(e.request).then(function (res) {
    if (res.ok) { var copy = res.clone(); caches.open(CACHE).then(function (c) { c.put(e.request, copy); }); }
    return res;
  }).catch(function () { return caches.match(e.request); }));
});
