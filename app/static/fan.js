/* Fan pages: the countdown, and copying the page link out of an in-app browser. No dependencies. */
(function () {
  "use strict";

  var UNITS = { days: 864e5, hours: 36e5, min: 6e4, sec: 1e3 };
  var WRAP = { days: Infinity, hours: 24, min: 60, sec: 60 };

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function countdown(section) {
    var target = new Date(section.getAttribute("data-countdown")).getTime();
    if (isNaN(target)) return;
    var cells = section.querySelectorAll("[data-unit]");
    function tick() {
      var left = Math.max(0, target - Date.now());
      Array.prototype.forEach.call(cells, function (cell) {
        var unit = cell.getAttribute("data-unit");
        var value = Math.floor(left / UNITS[unit]) % WRAP[unit];
        cell.textContent = pad(value);
      });
      if (left === 0) {
        clearInterval(timer);
        section.classList.add("done");
        var heading = section.querySelector(".countdown-heading");
        if (heading) heading.textContent = "It's time! Refresh the page";
      }
    }
    var timer = setInterval(tick, 1000);
    tick();
  }

  function copyLinks() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), function (button) {
      button.addEventListener("click", function () {
        var url = button.getAttribute("data-copy");
        var done = function () { button.textContent = "Link copied: paste it in your browser"; };
        if (navigator.clipboard) {
          navigator.clipboard.writeText(url).then(done, function () { window.prompt("Copy this link", url); });
        } else {
          window.prompt("Copy this link", url);
        }
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-countdown]"), countdown);
  copyLinks();
})();
