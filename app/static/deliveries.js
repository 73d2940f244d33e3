/* The release page's Delivery panel refreshes its counts on release day. No dependencies. */
(function () {
  "use strict";

  function update(table, rows) {
    var known = table.querySelectorAll("tbody tr[data-platform]").length;
    if (rows.length !== known) return false;  // a platform came or went: reload instead
    return rows.every(function (row) {
      var tr = table.querySelector('tr[data-platform="' + row.platform + '"]');
      if (!tr) return false;
      Object.keys(row.states).forEach(function (state) {
        var count = row.states[state];
        tr.querySelector('.ledger-count[data-state="' + state + '"]').textContent = count;
        tr.querySelector('.ledger-seg[data-state="' + state + '"]').style.width =
          (row.total ? 100 * count / row.total : 0) + "%";
      });
      tr.querySelector(".ledger-total").textContent = row.total;
      return true;
    });
  }

  function apply(panel, data) {
    var fresh = ["saves", "reminders"].every(function (kind) {
      var table = panel.querySelector('.ledger-counts[data-kind="' + kind + '"]');
      return table ? update(table, data.counts[kind]) : !data.counts[kind].length;
    });
    var next = panel.querySelector(".ledger-next");
    next.textContent = data.next_attempt_at ?
      "Next attempt " + data.next_attempt_at.slice(0, 16).replace("T", " ") + " UTC" : "";
    panel.querySelector(".ledger-live").hidden = !data.live;
    if (!fresh) window.location.reload();
    return data.live;
  }

  function poll(panel) {
    var seconds = parseInt(panel.getAttribute("data-poll-seconds"), 10) || 5;
    function tick() {
      fetch(panel.getAttribute("data-poll-url"), {credentials: "same-origin",
                                                   headers: {Accept: "application/json"}})
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (data) { if (apply(panel, data)) setTimeout(tick, seconds * 1000); })
        .catch(function () { setTimeout(tick, seconds * 4000); });  // back off, keep going
    }
    setTimeout(tick, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.querySelector(".delivery-panel[data-live='true']");
    if (panel && window.fetch) poll(panel);
  });
})();
