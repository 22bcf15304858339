// Kopā scanner service worker: keeps the scanner page and its files, so the
// door keeps working (judging scans from the ticket list on the device)
// when the connection drops, and forgets the ticket lists on logout. Served
// from /manage/scan-sw.js with scope /manage (every organiser's page).
"use strict";
var CACHE = "kopa-scanner-v2";
var FILES = ["/static/css/kopa.css", "/static/css/scanner.css", "/static/js/session.js", "/static/js/scanner.js", "/static/vendor/jsqr/jsQR.js", "/static/img/logo.svg"];
var SCANNER = /^\/manage\/events\/[^/]+\/scan$/;

self.addEventListener("install", function (e) {
  e.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(FILES); }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("kopa-scanner-") === 0 && n !== CACHE; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

// withLists opens the scanner's database (never creating it) and runs fn
// on its ticket and meta stores in one transaction.
function withLists(fn) {
  return new Promise(function (resolve) {
    var req = indexedDB.open("kopa-door");
    // No database yet: nothing to forget, and do not create one.
    req.onupgradeneeded = function () { req.transaction.abort(); };
    req.onerror = function () { resolve(); };
    req.onsuccess = function () {
      var d = req.result;
      if (!d.objectStoreNames.contains("tickets") || !d.objectStoreNames.contains("meta")) { d.close(); resolve(); return; }
      var tx = d.transaction(["tickets", "meta"], "readwrite");
      fn(tx.objectStore("tickets"), tx.objectStore("meta"));
      tx.oncomplete = tx.onerror = tx.onabort = function () { d.close(); resolve(); };
    };
  });
}

// forgetLists deletes every kept ticket list (not the queue of scans still
// to be sent: it holds no names, and the next sign-in sends it).
function forgetLists() {
  return withLists(function (tickets, meta) { tickets.clear(); meta.clear(); });
}

// forgetEnded deletes the lists kept past their time (keep_hours after
// their event's end, as the scanner page does), even when nobody opens
// their scanner page again.
function forgetEnded() {
  return withLists(function (tickets, meta) {
    var all = meta.getAll();
    all.onsuccess = function () {
      var now = Date.now();
      all.result.forEach(function (m) {
        if (!m.ends_at || new Date(m.ends_at.replace(" ", "T")).getTime() + (m.keep_hours || 0) * 3600 * 1000 >= now) return;
        meta.delete(m.event);
        tickets.delete(IDBKeyRange.bound(m.event + ":", m.event + ":\uffff"));
      });
    };
  });
}

// fromNetwork gives the network a few seconds (a basement's signal can
// hang a request for a minute), then answers from the cache.
function fromNetwork(request, cacheKey) {
  var net = fetch(request).then(function (res) {
    if (res.ok) { var copy = res.clone(); caches.open(CACHE).then(function (c) { c.put(cacheKey, copy); }); }
    return res;
  });
  var cached = new Promise(function (resolve) { setTimeout(resolve, 4000); }).then(function () {
    return caches.match(cacheKey);
  }).then(function (res) { return res || net; });
  return Promise.race([net.catch(function () { return caches.match(cacheKey).then(function (res) { return res || Response.error(); }); }), cached]);
}

self.addEventListener("fetch", function (e) {
  var url = new URL(e.request.url);
  if (url.origin !== location.origin) return;
  if (e.request.method === "POST" && url.pathname === "/manage/logout") {
    e.waitUntil(forgetLists());
    return;
  }
  if (e.request.method !== "GET") return;
  if (e.request.mode === "navigate") e.waitUntil(forgetEnded());
  if (SCANNER.test(url.pathname)) {
    // One copy per event, whatever ?lang= the page was opened with.
    e.respondWith(fromNetwork(e.request, url.origin + url.pathname));
  } else if (FILES.indexOf(url.pathname) >= 0) {
    // Pages ask for /static/ files with their version (?v=…); the copy
    // kept for offline use is the latest one, whatever its version.
    e.respondWith(fromNetwork(e.request, url.origin + url.pathname));
  }
});
