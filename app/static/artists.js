/* The artist form's branding editor: each colour swatch in step with its #rrggbb text, the
   image's preview, and the fan page preview and contrast list refreshed as a colour, the
   image or the name changes. The server renders and measures both; this only asks it again. */
(function () {
  "use strict";
  var HEX = /^#[0-9a-fA-F]{6}$/;

  function debounce(fn, ms) {
    var timer;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  function showPairs(list, pairs) {
    list.textContent = "";
    pairs.forEach(function (pair) {
      var item = document.createElement("li");
      item.className = pair.passes ? "contrast-pass" : "contrast-fail";
      item.textContent = pair.words;
      list.appendChild(item);
    });
  }

  function editor(form) {
    var button = form.querySelector(".preview-button");
    var list = form.querySelector(".contrast-list");
    var texts = Array.prototype.slice.call(form.querySelectorAll(".color-hex"));

    function preview() { form.requestSubmit(button); }

    function contrast() {
      var query = new URLSearchParams();
      texts.forEach(function (text) { query.set(text.name, text.value); });
      fetch(form.getAttribute("data-contrast-url") + "?" + query.toString(),
            {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (response) { return response.json(); })
        .then(function (data) { if (data.pairs) showPairs(list, data.pairs); });
    }

    var refresh = debounce(function () {
      if (texts.every(function (text) { return HEX.test(text.value); })) {
        preview();
        contrast();
      }
    }, 300);

    texts.forEach(function (text) {
      var swatch = form.querySelector('.color-swatch[data-hex="' + text.id + '"]');
      var group = text.closest(".form-group");
      var message = document.createElement("span");
      message.className = "help-block color-error";
      message.id = text.id + "-format";
      message.textContent = "Give the colour as # and six hex digits, e.g. #1db954";
      message.hidden = true;
      text.parentNode.insertAdjacentElement("afterend", message);
      function check() {
        var ok = HEX.test(text.value);
        text.setAttribute("aria-invalid", ok ? "false" : "true");
        if (ok) text.removeAttribute("aria-describedby");
        else text.setAttribute("aria-describedby", message.id);
        group.classList.toggle("has-error", !ok);
        message.hidden = ok;
        return ok;
      }
      swatch.addEventListener("input", function () {
        text.value = swatch.value;
        check();
        refresh();
      });
      text.addEventListener("input", function () {
        if (check()) swatch.value = text.value.toLowerCase();
        refresh();
      });
    });

    var name = form.querySelector("#name");
    if (name) name.addEventListener("input", refresh);

    var image = form.querySelector(".image-input");
    if (image) {
      image.addEventListener("change", function () {
        var shown = form.querySelector(".image-preview");
        if (!image.files.length) return;
        shown.src = URL.createObjectURL(image.files[0]);
        shown.classList.remove("hidden");
        refresh();
      });
    }
    preview();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector(".artist-form");
    if (form) editor(form);
  });
})();
