/* Apple Music in direct mode: MusicKit JS signs the fan in and hands back a Music-User-Token,
   which the form posts like any other platform choice. Without MusicKit the button submits
   plainly and the server explains. The failure's words come from the button, in the page's language. */
(function () {
  "use strict";

  var button = document.querySelector("[data-musickit]");
  if (!button || !button.form) return;
  var form = button.form;

  function fail(message) {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    var note = form.querySelector(".musickit-error") || document.createElement("p");
    note.className = "error musickit-error";
    note.setAttribute("role", "alert");
    note.textContent = message;
    button.insertAdjacentElement("afterend", note);
  }

  function submitWith(token) {
    form.elements.music_user_token.value = token;
    var choice = document.createElement("input");
    choice.type = "hidden";
    choice.name = "platform";
    choice.value = "apple_music";
    form.appendChild(choice);
    form.submit();
  }

  button.addEventListener("click", async function (event) {
    if (!window.MusicKit) return;  // not loaded (blocked, offline): a plain submit
    event.preventDefault();
    if (!form.reportValidity()) return;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      await MusicKit.configure({
        developerToken: button.getAttribute("data-developer-token"),
        app: { name: "Presave", build: "1" }
      });
      var token = await MusicKit.getInstance().authorize();
      if (!token) throw new Error("no token");
      submitWith(token);
    } catch (e) {
      fail(button.getAttribute("data-failed"));
    }
  });
})();
