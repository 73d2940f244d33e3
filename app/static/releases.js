/* Releases admin: the create wizard, zone defaults, artwork preview, copy, countdown. No dependencies. */
(function () {
  "use strict";

  function wizard(form) {
    var steps = Array.prototype.slice.call(form.querySelectorAll("[data-step]"));
    var tabs = document.querySelectorAll("[data-step-tab]");
    function show(key) {
      steps.forEach(function (s) { s.hidden = s.getAttribute("data-step") !== key; });
      Array.prototype.forEach.call(tabs, function (t) {
        t.classList.toggle("active", t.getAttribute("data-step-tab") === key);
      });
      form.setAttribute("data-current", key);
    }
    var firstError = form.querySelector(".has-error");
    var start = firstError ? firstError.closest("[data-step]") : steps[0];
    show(start.getAttribute("data-step"));
    form.addEventListener("click", function (e) {
      var go = e.target.closest("[data-go]");
      if (go) { show(go.getAttribute("data-go")); window.scrollTo(0, 0); }
    });
    Array.prototype.forEach.call(tabs, function (t) {
      t.addEventListener("click", function (e) { e.preventDefault(); show(t.getAttribute("data-step-tab")); });
    });
    // Enter in an early step moves on instead of submitting the form as a draft.
    form.addEventListener("keydown", function (e) {
      var step = e.target.closest("[data-step]");
      if (e.key !== "Enter" || e.target.tagName === "TEXTAREA" || !step) return;
      var next = step.querySelector(".panel-footer [data-go]:last-child");
      if (step !== steps[steps.length - 1] && next) { e.preventDefault(); next.click(); }
    });
  }

  function zoneFollowsArtist() {
    var artist = document.getElementById("artist_id");
    var zone = document.getElementById("timezone");
    if (!artist || !zone) return;
    artist.addEventListener("change", function () {
      var tz = artist.options[artist.selectedIndex].getAttribute("data-tz");
      if (tz) zone.value = tz;
    });
  }

  function artworkPreview() {
    Array.prototype.forEach.call(document.querySelectorAll(".artwork-input"), function (input) {
      input.addEventListener("change", function () {
        var img = input.parentNode.querySelector(".artwork-preview");
        if (!img || !input.files.length) return;
        img.src = URL.createObjectURL(input.files[0]);
        img.classList.remove("hidden");
      });
    });
  }

  function copyButtons() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), function (button) {
      button.addEventListener("click", function () {
        var field = document.querySelector(button.getAttribute("data-copy"));
        var done = function () {
          var text = button.innerHTML;
          button.textContent = "Copied";
          setTimeout(function () { button.innerHTML = text; }, 1500);
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(done);
        } else {
          field.select();
          document.execCommand("copy");
          done();
        }
      });
    });
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function countdowns() {
    Array.prototype.forEach.call(document.querySelectorAll(".countdown[data-target]"), function (box) {
      var target = new Date(box.getAttribute("data-target")).getTime();
      var value = box.querySelector(".countdown-value");
      function tick() {
        var left = Math.floor((target - Date.now()) / 1000);
        if (left <= 0) { value.textContent = "now: reload to see the new status"; return; }
        var days = Math.floor(left / 86400);
        value.textContent = (days ? days + "d " : "") + pad(Math.floor(left % 86400 / 3600)) + ":" +
          pad(Math.floor(left % 3600 / 60)) + ":" + pad(left % 60);
        setTimeout(tick, 1000);
      }
      tick();
    });
  }

  function confirmations() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (form) {
      form.addEventListener("submit", function (e) {
        if (!window.confirm(form.getAttribute("data-confirm"))) e.preventDefault();
      });
    });
  }

  // The share kit's builder: the chosen preset's tags show in the fields left blank.
  function sharePresets() {
    var select = document.querySelector(".share-form select[name=preset]");
    if (!select) return;
    var show = function () {
      var option = select.options[select.selectedIndex];
      ["source", "medium", "content"].forEach(function (tag) {
        var field = document.querySelector(".share-form input[name=utm_" + tag + "]");
        if (field) field.placeholder = option.getAttribute("data-" + tag) || "";
      });
    };
    select.addEventListener("change", show);
    show();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector(".release-wizard");
    if (form) wizard(form);
    zoneFollowsArtist();
    artworkPreview();
    copyButtons();
    sharePresets();
    countdowns();
    confirmations();
  });
})();
