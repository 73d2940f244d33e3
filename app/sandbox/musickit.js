/* Presave sandbox: a stand-in for MusicKit JS v3 (configure, getInstance, authorize,
   unauthorize). authorize() asks the sandbox for a Music-User-Token, without a sign-in window. */
(function () {
  "use strict";
  var script = document.currentScript;
  var root = script ? script.src.replace(/\/musickit\.js(\?.*)?$/, "") : "/sandbox/apple_music";
  var instance = null;

  function Music(config) {
    this.developerToken = config.developerToken;
    this.app = config.app || {};
    this.storefrontId = config.storefrontId || "us";
    this.musicUserToken = null;
    this.isAuthorized = false;
  }

  Music.prototype.authorize = function () {
    var self = this;
    return fetch(root + "/musickit/authorize", {
      method: "POST",
      headers: {"Authorization": "Bearer " + self.developerToken, "Content-Type": "application/json"},
      body: "{}"
    }).then(function (response) {
      if (!response.ok) { throw new Error("AUTHORIZATION_ERROR: " + response.status); }
      return response.json();
    }).then(function (body) {
      self.musicUserToken = body.musicUserToken;
      self.isAuthorized = true;
      return self.musicUserToken;
    });
  };

  Music.prototype.unauthorize = function () {
    this.musicUserToken = null;
    this.isAuthorized = false;
    return Promise.resolve();
  };

  window.MusicKit = {
    sandbox: true,
    configure: function (config) {
      instance = new Music(config || {});
      return Promise.resolve(instance);
    },
    getInstance: function () { return instance; }
  };
  document.dispatchEvent(new Event("musickitloaded"));
})();
