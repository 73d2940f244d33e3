// The user form: the artist picker is for the Artist role only, the label for everyone but
// the platform Admin. The server checks the same; this only keeps the form from contradicting itself.
(function () {
  var role = document.getElementById("role");
  var artist = document.getElementById("artist_id");
  var label = document.getElementById("label_id");
  if (!role || !artist) return;
  function sync() {
    var isArtist = role.value === "Artist";
    artist.disabled = !isArtist;
    if (!isArtist) artist.value = "";
    if (label) {
      var isAdmin = role.value === "Admin";
      if (isAdmin) label.value = "";
      label.disabled = isAdmin;
    }
  }
  role.addEventListener("change", sync);
  sync();
})();
