// Dashboard charts. Each chart's numbers come from a JSON endpoint named by the
// element's data-chart-url (the same numbers the tests check); clicking a bar
// or a point opens the list behind it. Static file only: the CSP forbids
// inline script. Chart.js is loaded before this file from the vendored copy.
(function () {
  "use strict";

  var COLORS = {
    bypass: "#0d6efd",
    any: "#dc3545",
    localSubnet: "#fd7e14",
    custom: "#ffc107",
    open: "#6f42c1",
    computers: "#0d6efd",
    users: "#20c997",
    groups: "#6c757d",
    finding: "#dc3545",
    line: "#0d6efd"
  };

  function fetchJson(url) {
    return fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      if (!response.ok) {
        throw new Error(url + " answered " + response.status);
      }
      return response.json();
    });
  }

  function markDrawn(canvas, chart) {
    var points = 0;
    chart.data.datasets.forEach(function (dataset) {
      points += dataset.data.length;
    });
    canvas.setAttribute("data-chart-drawn", "true");
    canvas.setAttribute("data-chart-points", String(points));
  }

  function showError(canvas, error) {
    var note = document.createElement("p");
    note.className = "small text-danger";
    note.setAttribute("data-chart-error", "true");
    note.textContent = "The chart could not be loaded: " + error.message;
    canvas.parentNode.appendChild(note);
  }

  // Opens the URL that urlFor(index, datasetIndex) gives for the clicked element.
  function openOnClick(urlFor) {
    return function (event, elements) {
      if (!elements.length) {
        return;
      }
      var url = urlFor(elements[0].index, elements[0].datasetIndex);
      if (url) {
        window.location.assign(url);
      }
    };
  }

  function barOptions(horizontal, stacked, onClick) {
    return {
      indexAxis: horizontal ? "y" : "x",
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      onClick: onClick,
      scales: {
        x: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } },
        y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } }
      },
      plugins: { legend: { display: true, position: "bottom" } }
    };
  }

  function drawFindings(canvas, data) {
    var findings = data.findings;
    var chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: findings.map(function (item) { return item.label; }),
        datasets: [{
          label: "Findings",
          data: findings.map(function (item) { return item.count; }),
          backgroundColor: COLORS.finding
        }]
      },
      options: barOptions(true, false, openOnClick(function (index) {
        return findings[index].url;
      }))
    });
    chart.options.plugins.legend.display = false;
    chart.update();
    return chart;
  }

  function drawSyncHealth(canvas, data) {
    var sources = data.sources;
    var kinds = [
      ["computers", "Computers", COLORS.computers],
      ["users", "Users", COLORS.users],
      ["groups", "Groups", COLORS.groups]
    ];
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: sources.map(function (item) {
          return item.stale ? item.name + " (stale)" : item.name;
        }),
        datasets: kinds.map(function (kind) {
          return {
            label: kind[1],
            data: sources.map(function (item) { return item[kind[0]]; }),
            backgroundColor: kind[2]
          };
        })
      },
      options: barOptions(false, true, openOnClick(function (index, datasetIndex) {
        return sources[index].links[kinds[datasetIndex][0]];
      }))
    });
  }

  function drawExposure(canvas, data) {
    var servers = data.servers;
    var series = [
      ["bypass", "Bypass", COLORS.bypass, "bypass"],
      ["any", "Exceptions: Any", COLORS.any, "any"],
      ["local_subnet", "Exceptions: LocalSubnet", COLORS.localSubnet, "local_subnet"],
      ["custom", "Exceptions: custom", COLORS.custom, "custom"],
      ["open", "Firewall off", COLORS.open, "open"]
    ];
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: servers.map(function (item) { return item.name; }),
        datasets: series.map(function (entry) {
          return {
            label: entry[1],
            data: servers.map(function (item) { return item[entry[0]]; }),
            backgroundColor: entry[2]
          };
        })
      },
      options: barOptions(true, false, openOnClick(function (index, datasetIndex) {
        return servers[index].links[series[datasetIndex][3]];
      }))
    });
  }

  function drawGroupSparkline(canvas, group) {
    var labels = group.samples.map(function (sample) {
      return new Date(sample.at).toLocaleString();
    });
    var values = group.samples.map(function (sample) { return sample.accounts; });
    labels.push("now");
    values.push(group.accounts);
    return new window.Chart(canvas, {
      type: "line",
      data: {
        labels: labels,
        datasets: [{
          label: group.name,
          data: values,
          borderColor: COLORS.line,
          backgroundColor: COLORS.line,
          pointRadius: 2,
          tension: 0
        }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        onClick: function () { window.location.assign(group.members_url); },
        scales: {
          x: { display: false },
          y: { display: true, beginAtZero: true, ticks: { precision: 0, maxTicksLimit: 3 } }
        },
        plugins: { legend: { display: false } }
      }
    });
  }

  function drawGroupSizes(marker, data) {
    data.groups.forEach(function (group) {
      var canvas = document.querySelector('canvas[data-group-chart="' + group.id + '"]');
      if (canvas) {
        markDrawn(canvas, drawGroupSparkline(canvas, group));
      }
    });
    marker.setAttribute("data-chart-drawn", "true");
  }

  var DRAWERS = {
    findings: drawFindings,
    "sync-health": drawSyncHealth,
    exposure: drawExposure
  };

  function load(element) {
    var kind = element.getAttribute("data-chart");
    var url = element.getAttribute("data-chart-url");
    fetchJson(url).then(function (data) {
      if (kind === "group-sizes") {
        drawGroupSizes(element, data);
        return;
      }
      markDrawn(element, DRAWERS[kind](element, data));
    }).catch(function (error) {
      showError(element, error);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.Chart) {
      return;
    }
    document.querySelectorAll("[data-chart][data-chart-url]").forEach(load);
  });
})();
