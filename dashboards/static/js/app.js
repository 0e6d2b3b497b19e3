/* The pages' behaviour: JSON bodies for the API, answers shown as notices, and the charts.
 *
 * Forms that change something post to the API's own endpoints (hx-post / hx-patch with
 * hx-ext="yq-json"); the session cookie signs them in and the page's hx-headers carry the CSRF
 * token. A field named "name:int", "name:ints" or "name:bool" is sent as that JSON type; an
 * empty field is left out. After the answer: data-done (a notice), data-refresh (a selector
 * sent the "refresh" event), data-goto (a link, "{id}" taken from the answer), data-reload.
 *
 * Nothing of the pages' behaviour is inline (the Content-Security-Policy allows only these
 * files, dashboards/headers.py): a select with data-submit-on-change submits its form, and a
 * region with data-hold-while-focused is not reloaded by polling or events while a field in
 * it has focus, only by an explicit "refresh" (what an hx-trigger filter did, which htmx
 * could only evaluate as code).
 */
(function () {
  "use strict";

  var FONT = "'Noto Sans SC', 'Noto Sans CJK SC', sans-serif";
  var STATUS_TEXT = {
    400: "输入有误，请检查后重试",
    401: "登录已过期，请重新登录",
    403: "无权执行此操作",
    404: "对象不存在或无权访问",
    409: "操作冲突：该事项已被他人修改，或当前状态不允许此操作，请刷新后重试",
    422: "表单填写不完整或格式有误",
    429: "操作过于频繁，请稍后再试"
  };

  function formJson(parameters) {
    var body = {};
    parameters.forEach(function (value, key) {
      var parts = key.split(":");
      var name = parts[0];
      var type = parts[1] || "str";
      if (typeof value !== "string") { return; }
      value = value.trim();
      if (value === "") { return; }
      if (type === "int") {
        body[name] = parseInt(value, 10);
      } else if (type === "ints") {
        (body[name] = body[name] || []).push(parseInt(value, 10));
      } else if (type === "localtime") {
        // datetime-local gives the office's wall-clock time; the API wants its offset too.
        if (value.length === 16) { value += ":00"; }
        body[name] = value + (document.body.dataset.utcOffset || "+08:00");
      } else if (type === "bool") {
        body[name] = value === "true" || value === "1" || value === "on";
      } else {
        body[name] = value;
      }
    });
    return body;
  }

  function defineJsonExtension() {
    htmx.defineExtension("yq-json", {
      onEvent: function (name, evt) {
        if (name === "htmx:configRequest") {
          evt.detail.headers["Content-Type"] = "application/json";
          evt.detail.headers["Accept"] = "application/json";
        }
      },
      encodeParameters: function (xhr, parameters) {
        xhr.overrideMimeType("application/json");
        return JSON.stringify(formJson(parameters));
      }
    });
  }

  function toast(text, kind, link) {
    var box = document.getElementById("toasts");
    if (!box) { return; }
    var item = document.createElement("div");
    item.className = "toast " + (kind || "ok");
    item.setAttribute("role", kind === "error" ? "alert" : "status");
    item.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      item.appendChild(document.createTextNode(" "));
      item.appendChild(a);
    }
    box.appendChild(item);
    setTimeout(function () { item.remove(); }, kind === "error" ? 12000 : 8000);
  }

  function parseJson(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  function afterRequest(evt) {
    var elt = evt.detail.elt;
    if (!elt || !elt.closest || !elt.closest("[hx-ext~='yq-json']")) { return; }
    var xhr = evt.detail.xhr;
    var answer = parseJson(xhr.responseText || "");
    if (evt.detail.successful) {
      var link = null;
      if (elt.dataset.goto && answer && answer.id !== undefined) {
        link = { href: elt.dataset.goto.replace("{id}", answer.id), text: "查看 #" + answer.id };
      }
      if (elt.dataset.done) { toast(elt.dataset.done, "ok", link); }
      if (elt.tagName === "FORM" && !elt.dataset.keep) { elt.reset(); }
      if (elt.dataset.refresh) {
        document.querySelectorAll(elt.dataset.refresh).forEach(function (target) {
          htmx.trigger(target, "refresh");
        });
      }
      if (elt.dataset.reload) { window.location.reload(); }
      return;
    }
    if (xhr.status === 401) { window.location.href = "/login"; return; }
    var text = STATUS_TEXT[xhr.status] || "服务器出错，请稍后再试";
    var item = toast(text, "error");
    var detail = answer && answer.error && answer.error.message;
    if (detail) {
      var last = document.querySelector("#toasts .toast:last-child");
      if (last) { last.title = detail; }
    }
    return item;
  }

  // -- charts -----------------------------------------------------------------------------

  var charts = [];

  function draw(el, option) {
    var existing = echarts.getInstanceByDom(el);
    if (existing) { existing.dispose(); }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    option.textStyle = { fontFamily: FONT };
    option.animation = false;
    chart.setOption(option);
    charts.push(chart);
    el.setAttribute("data-drawn", "1");
    return chart;
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (reply) {
        if (!reply.ok) { throw new Error("HTTP " + reply.status); }
        return reply.json();
      });
  }

  function hourLabel(iso) {
    var d = new Date(iso);
    return (d.getMonth() + 1) + "-" + d.getDate() + " " + d.getHours() + "时";
  }

  function sparkOption(series) {
    return {
      grid: { left: 2, right: 2, top: 4, bottom: 2 },
      xAxis: { type: "category", show: false, data: series.counts.map(function (_, i) { return i; }) },
      yAxis: { type: "value", show: false, min: 0 },
      tooltip: {
        trigger: "axis",
        formatter: function (p) { return p[0].value + " 条"; }
      },
      series: [{
        type: "line", data: series.counts, symbol: "none",
        lineStyle: { width: 1.5, color: "#c2410c" }, areaStyle: { color: "rgba(194,65,12,0.15)" }
      }]
    };
  }

  function drawSparklines(root) {
    var boxes = root.querySelectorAll("[data-spark]");
    if (!boxes.length) { return; }
    var ids = Array.prototype.map.call(boxes, function (b) { return b.dataset.spark; });
    getJson("/triage/sparklines.json?ids=" + ids.join(",")).then(function (data) {
      boxes.forEach(function (box) {
        var series = data[box.dataset.spark];
        if (series) { draw(box, sparkOption(series)); }
      });
    }).catch(function () { /* a missing sparkline leaves the card usable */ });
  }

  var builders = {
    volume: function (data) {
      return {
        grid: { left: 48, right: 16, top: 24, bottom: 40 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: data.buckets.map(function (b) { return b.label; }) },
        yAxis: { type: "value", name: "帖文数", minInterval: 1 },
        series: [{ name: "帖文数", type: "bar", data: data.buckets.map(function (b) { return b.count; }),
          itemStyle: { color: "#2563eb" } }]
      };
    },
    trend: function (data) {
      return {
        grid: { left: 52, right: 52, top: 36, bottom: 40 },
        legend: { top: 0 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: data.days },
        yAxis: [
          { type: "value", name: "声量", minInterval: 1 },
          { type: "value", name: "负面占比", min: 0, max: 1,
            axisLabel: { formatter: function (v) { return Math.round(v * 100) + "%"; } } }
        ],
        series: [
          { name: "声量", type: "bar", data: data.volume, itemStyle: { color: "#2563eb" } },
          { name: "负面占比", type: "line", yAxisIndex: 1, data: data.negative_share,
            itemStyle: { color: "#dc2626" }, connectNulls: true }
        ]
      };
    },
    districts: function (data) {
      return {
        grid: { left: 64, right: 52, top: 36, bottom: 30 },
        legend: { top: 0 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: data.districts.map(function (d) { return d.name; }) },
        yAxis: [
          { type: "value", name: "声量", minInterval: 1 },
          { type: "value", name: "负面占比", min: 0, max: 1,
            axisLabel: { formatter: function (v) { return Math.round(v * 100) + "%"; } } }
        ],
        series: [
          { name: "声量", type: "bar", data: data.districts.map(function (d) { return d.total; }),
            itemStyle: { color: "#0d9488" } },
          { name: "负面占比", type: "line", yAxisIndex: 1,
            data: data.districts.map(function (d) { return d.negative_share; }),
            itemStyle: { color: "#dc2626" } }
        ]
      };
    },
    effect: function (data) {
      var hours = data.hourly || [];
      return {
        grid: { left: 48, right: 52, top: 52, bottom: 36 },
        legend: { top: 0, left: 0 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", name: "小时", data: hours.map(function (h) { return h.hour; }) },
        yAxis: [
          { type: "value", name: "声量", minInterval: 1 },
          { type: "value", name: "负面占比", min: 0, max: 1,
            axisLabel: { formatter: function (v) { return Math.round(v * 100) + "%"; } } }
        ],
        series: [
          { name: "声量", type: "bar", data: hours.map(function (h) { return h.volume; }),
            itemStyle: { color: function (p) { return hours[p.dataIndex].hour < 0 ? "#94a3b8" : "#2563eb"; } },
            markLine: { symbol: "none", label: { formatter: "首次发布" },
              lineStyle: { color: "#16a34a", type: "dashed" }, data: [{ xAxis: "0" }] } },
          { name: "负面占比", type: "line", yAxisIndex: 1, connectNulls: true,
            data: hours.map(function (h) { return h.negative_share; }), itemStyle: { color: "#dc2626" } }
        ]
      };
    }
  };

  function drawCharts(root) {
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var build = builders[el.dataset.chart];
      if (!build || !el.dataset.src) { return; }
      getJson(el.dataset.src).then(function (data) {
        var nothing = data.empty || (Array.isArray(data.hourly) && !data.hourly.length);
        if (el.dataset.empty && nothing) {
          el.innerHTML = "";
          var note = document.createElement("p");
          note.className = "muted";
          note.textContent = el.dataset.empty;
          el.appendChild(note);
          el.setAttribute("data-drawn", "empty");
          return;
        }
        draw(el, build(data));
      }).catch(function () {
        el.textContent = "图表数据加载失败";
      });
    });
  }

  function holdWhileFocused(evt) {
    var elt = evt.detail.elt;
    if (!elt || !elt.hasAttribute || !elt.hasAttribute("data-hold-while-focused")) { return; }
    var cause = evt.detail.triggeringEvent;
    if (cause && cause.type === "refresh") { return; }
    if (elt.querySelector(":focus")) { evt.preventDefault(); }
  }

  function submitOnChange(evt) {
    var field = evt.target;
    if (field && field.matches && field.matches("[data-submit-on-change]") && field.form) {
      field.form.submit();
    }
  }

  function start() {
    document.body.addEventListener("htmx:afterRequest", afterRequest);
    document.body.addEventListener("htmx:confirm", holdWhileFocused);
    document.addEventListener("change", submitOnChange);
    var ready = document.fonts && document.fonts.ready ? document.fonts.ready : Promise.resolve();
    htmx.onLoad(function (root) {
      ready.then(function () {
        drawSparklines(root);
        drawCharts(root);
      });
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { if (!c.isDisposed()) { c.resize(); } });
    });
  }

  defineJsonExtension();
  window.yq = { hourLabel: hourLabel, toast: toast };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
