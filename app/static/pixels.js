/* The ad pixels a visitor accepted on an artist's page (app/views/public/ads.py). Each
   service's documented loader: a queue that takes calls at once, then the vendor's script.
   PageView on every page; a Lead, with the id the conversion APIs get too, after a pre-save. */
(function () {
  "use strict";
  var source = document.getElementById("ad-pixels");
  if (!source) return;
  var pixels = JSON.parse(source.textContent);
  var leads = pixels.leads || [];

  function load(src) {
    var tag = document.createElement("script");
    tag.async = true;
    tag.src = src;
    document.head.appendChild(tag);
  }

  if (pixels.meta) {
    var fbq = window.fbq = function () {
      if (fbq.callMethod) fbq.callMethod.apply(fbq, arguments); else fbq.queue.push(arguments);
    };
    if (!window._fbq) window._fbq = fbq;
    fbq.push = fbq; fbq.loaded = true; fbq.version = "2.0"; fbq.queue = [];
    load("https://connect.facebook.net/en_US/fbevents.js");
    fbq("init", pixels.meta);
    fbq("track", "PageView");
    leads.forEach(function (id) { fbq("track", "Lead", {}, { eventID: id }); });
  }

  if (pixels.tiktok) {
    var ttq = window.ttq = window.ttq || [];
    ["page", "track", "identify", "instances", "debug", "on", "off", "once", "ready", "alias",
     "group", "enableCookie", "disableCookie"].forEach(function (name) {
      ttq[name] = function () { ttq.push([name].concat(Array.prototype.slice.call(arguments))); };
    });
    load("https://analytics.tiktok.com/i18n/pixel/events.js?sdkid=" +
         encodeURIComponent(pixels.tiktok) + "&lib=ttq");
    ttq.page();
    leads.forEach(function (id) { ttq.track("Lead", {}, { event_id: id }); });
  }

  if (pixels.google) {
    window.dataLayer = window.dataLayer || [];
    var gtag = window.gtag = function () { window.dataLayer.push(arguments); };
    load("https://www.googletagmanager.com/gtag/js?id=" + encodeURIComponent(pixels.google));
    gtag("js", new Date());
    gtag("config", pixels.google);
    leads.forEach(function (id) { gtag("event", "generate_lead", { transaction_id: id }); });
  }
})();
