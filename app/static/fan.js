/* Fan pages: the countdown, copying the page link out of an in-app browser, and sharing it. No dependencies.
   Words come from the page (data-done, data-copied, data-prompt), in the page's language. */
(function () {
  "use strict";

  var UNITS = { days: 864e5, hours: 36e5, min: 6e4, sec: 1e3 };
  var WRAP = { days: Infinity, hours: 24, min: 60, sec: 60 };

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function countdown(section) {
    var target = new Date(section.getAttribute("data-countdown")).getTime();
    if (isNaN(target)) return;
    // Count by the server's clock, not the device's: a device minutes ahead must not reload early.
    var served = new Date(section.getAttribute("data-now")).getTime();
    var skew = isNaN(served) ? 0 : served - Date.now();
    // Reload only a page served before its instant, so a reload can never loop.
    var reload = section.hasAttribute("data-reload") && target - (Date.now() + skew) > 0;
    var cells = section.querySelectorAll("[data-unit]");
    function tick() {
      var left = Math.max(0, target - (Date.now() + skew));
      Array.prototype.forEach.call(cells, function (cell) {
        var unit = cell.getAttribute("data-unit");
        var value = Math.floor(left / UNITS[unit]) % WRAP[unit];
        cell.textContent = pad(value);
      });
      if (left === 0) {
        clearInterval(timer);
        section.classList.add("done");
        var heading = section.querySelector(".countdown-heading");
        if (heading) heading.textContent = section.getAttribute("data-done") || "";
        if (reload) window.location.reload();
      }
    }
    var timer = setInterval(tick, 1000);
    tick();
  }

  function copyLinks() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), function (button) {
      button.addEventListener("click", function () {
        var url = button.getAttribute("data-copy");
        if (button.hasAttribute("data-share") && navigator.share) {  // the phone's share sheet
          navigator.share({ title: button.getAttribute("data-title") || document.title, url: url })
            .catch(function () {});
          return;
        }
        var done = function () { button.textContent = button.getAttribute("data-copied"); };
        var ask = function () { window.prompt(button.getAttribute("data-prompt"), url); };
        if (navigator.clipboard) {
          navigator.clipboard.writeText(url).then(done, ask);
        } else {
          ask();
        }
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-countdown]"), countdown);
  copyLinks();
})();
