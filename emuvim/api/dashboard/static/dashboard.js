// emuvim dashboard: draws /dashboard/events (server-sent events) as a graph
// (cytoscape.js), tables, and small live charts (uPlot).  Read-only.
"use strict";

(function () {
  const HISTORY = 120;                 // points kept per chart
  const PALETTE = ["#d6452f", "#1f9e89", "#8a46c1", "#c9a227", "#3a7bd5", "#d4589b",
                   "#5a8f29", "#a0522d"];

  const dashboard = { topology: null, metrics: null, histories: {}, charts: {},
                      updates: 0, cy: null };
  window.emuvimDashboard = dashboard;

  // -- helpers -----------------------------------------------------------------------

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key.startsWith("data-")) node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children || []) if (child) node.appendChild(child);
    return node;
  }

  function bits(bps) {
    if (bps === null || bps === undefined) return "–";
    const units = [["Gbit/s", 1e9], ["Mbit/s", 1e6], ["kbit/s", 1e3]];
    for (const [unit, size] of units) if (bps >= size) return (bps / size).toFixed(1) + " " + unit;
    return bps.toFixed(0) + " bit/s";
  }

  function mebibytes(value) {
    return value === null || value === undefined ? "–" : (value / 1048576).toFixed(1) + " MiB";
  }

  function percent(value) {
    return value === null || value === undefined ? "–" : value.toFixed(1) + " %";
  }

  function serviceColors(topology) {
    const colors = {};
    topology.services.forEach((service, i) => {
      const color = PALETTE[i % PALETTE.length];
      for (const name of service.vnfs.concat(service.saps)) colors[name] = color;
      colors[service.uuid] = color;
    });
    return colors;
  }

  function serviceOf(topology, vnf) {
    return topology.services.find(s => s.vnfs.includes(vnf) || s.saps.includes(vnf));
  }

  // -- the graph ---------------------------------------------------------------------

  function graphElements(topology) {
    const colors = serviceColors(topology);
    const nodes = [], edges = [];
    const popOfSwitch = {};
    for (const pop of topology.pops) {
      nodes.push({ data: { id: "pop:" + pop.label, label: pop.label }, classes: "pop" });
      if (pop.switch) popOfSwitch[pop.switch] = pop.label;
    }
    for (const sw of topology.switches) {
      if (sw.sap) continue;
      const data = { id: "sw:" + sw.name, label: sw.name };
      if (sw.pop) data.parent = "pop:" + sw.pop;
      nodes.push({ data: data, classes: "switch" });
    }
    for (const sap of topology.saps) {
      nodes.push({ data: { id: "sw:" + sap.switch, label: sap.name + "\n" + sap.ip,
                           color: colors[sap.name] || "#2e9d5b" }, classes: "sap" });
    }
    for (const link of topology.links) {
      const label = [link.bw ? link.bw + " Mbit/s" : "", link.delay ? link.delay + " ms" : ""]
        .filter(Boolean).join(", ");
      edges.push({ data: { id: "link:" + link.id, source: "sw:" + link.a, target: "sw:" + link.b,
                           label: label }, classes: "link" });
    }
    for (const vnf of topology.vnfs) {
      const data = { id: "vnf:" + vnf.name, label: vnf.name, color: colors[vnf.name] || "#2f6fd6" };
      const pop = vnf.pop || (vnf.interfaces.length && popOfSwitch[vnf.interfaces[0].switch]);
      if (pop) data.parent = "pop:" + pop;
      nodes.push({ data: data, classes: vnf.kind === "sap" ? "sap" : "vnf" });  // SAP containers look like SAPs
      for (const intf of vnf.interfaces) {
        if (!intf.switch) continue;
        edges.push({ data: { id: "att:" + vnf.name + ":" + intf.name, source: "vnf:" + vnf.name,
                             target: "sw:" + intf.switch,
                             label: intf.name + (intf.ip ? " " + intf.ip : "") },
                     classes: "attach" });
      }
    }
    // Chains and E-LANs end at VNFs, at SAPs (drawn as their switch) or at switches.
    const known = new Set(nodes.map(n => n.data.id));
    const sapSwitch = Object.fromEntries(topology.saps.map(sap => [sap.name, sap.switch]));
    const nodeOf = name => known.has("vnf:" + name) ? "vnf:" + name
      : known.has("sw:" + (sapSwitch[name] || name)) ? "sw:" + (sapSwitch[name] || name) : null;
    for (const chain of topology.chains) {
      const source = nodeOf(chain.vnf_src_name), target = nodeOf(chain.vnf_dst_name);
      if (!source || !target) continue;
      edges.push({ data: { id: "chain:" + chain.id, source: source, target: target,
                           label: "cookie " + chain.cookie +
                                  (chain.vlan === null ? "" : " / VLAN " + chain.vlan) },
                   classes: "chain" });
    }
    for (const lan of topology.lans) {
      const id = "lan:" + lan.vlan;
      nodes.push({ data: { id: id, label: "E-LAN VLAN " + lan.vlan +
                           (lan.cookie ? " / cookie " + lan.cookie : "") }, classes: "lan" });
      for (const member of lan.members) {
        const target = nodeOf(member.vnf);
        if (!target) continue;
        edges.push({ data: { id: id + ":" + member.vnf + ":" + member.interface, source: id,
                             target: target, label: member.interface },
                     classes: "lanmember" });
      }
    }
    return nodes.concat(edges);
  }

  const STYLE = [
    { selector: "node", style: { "label": "data(label)", "font-size": 10, "text-wrap": "wrap",
                                 "text-valign": "bottom", "text-margin-y": 3 } },
    { selector: "node.pop", style: { "shape": "round-rectangle", "background-color": "#eef3fb",
                                     "border-color": "#7a93c4", "border-width": 1,
                                     "text-valign": "top", "font-weight": "bold",
                                     "padding": 12 } },
    { selector: "node.switch", style: { "shape": "round-hexagon", "background-color": "#5f6b7a",
                                        "width": 22, "height": 22 } },
    { selector: "node.sap", style: { "shape": "round-triangle", "background-color": "#2e9d5b",
                                     "border-width": 3, "border-color": "data(color)",
                                     "width": 24, "height": 24 } },
    { selector: "node.vnf", style: { "shape": "ellipse", "background-color": "#2f6fd6",
                                     "border-width": 4, "border-color": "data(color)",
                                     "width": 28, "height": 28 } },
    { selector: "node.lan", style: { "shape": "diamond", "background-color": "#8a46c1",
                                     "width": 18, "height": 18 } },
    { selector: "edge", style: { "curve-style": "bezier", "font-size": 8, "width": 1.5,
                                 "line-color": "#a8b1be", "text-rotation": "autorotate",
                                 "text-background-color": "#fff",
                                 "text-background-opacity": 0.8 } },
    { selector: "edge.link", style: { "width": 4, "line-color": "#5f6b7a", "label": "data(label)",
                                      "font-size": 10 } },
    { selector: "edge.attach", style: { "source-label": "data(label)", "source-text-offset": 30 } },
    { selector: "edge.chain", style: { "line-color": "#e07b18", "target-arrow-color": "#e07b18",
                                       "target-arrow-shape": "triangle", "line-style": "dashed",
                                       "width": 2.5, "label": "data(label)",
                                       "control-point-step-size": 60 } },
    { selector: "edge.lanmember", style: { "line-color": "#8a46c1", "line-style": "dotted",
                                           "width": 2 } },
  ];

  function drawGraph(topology) {
    const elements = graphElements(topology);
    if (!dashboard.cy) {
      dashboard.cy = cytoscape({ container: document.getElementById("graph"), style: STYLE,
                                 elements: elements, maxZoom: 2 });
      dashboard.cy.on("tap", "node.vnf, edge.chain", event => showRow(event.target.id()));
      layout();
      return;
    }
    const cy = dashboard.cy;
    const wanted = new Map(elements.map(e => [e.data.id, e]));
    let changed = false;
    cy.elements().forEach(existing => {
      const spec = wanted.get(existing.id());
      if (!spec || (spec.data.parent || undefined) !== (existing.data("parent") || undefined)) {
        existing.remove();
        changed = true;
      }
    });
    for (const spec of elements) {
      const existing = cy.getElementById(spec.data.id);
      if (existing.nonempty()) {
        existing.data(spec.data);
        existing.classes(spec.classes);
      } else {
        cy.add(spec);
        changed = true;
      }
    }
    if (changed) layout();
  }

  // Deterministic placement: PoPs on a grid, each PoP's switch in its middle
  // and its VNFs on a ring around it; other switches and SAPs on a row below;
  // an E-LAN's diamond at the centre of its members.
  function positions(topology) {
    const pos = {}, SPACING = 340;
    const columns = Math.max(1, Math.ceil(Math.sqrt(topology.pops.length)));
    const centre = {};
    topology.pops.forEach((pop, i) => {
      centre[pop.label] = { x: (i % columns) * SPACING, y: Math.floor(i / columns) * SPACING };
      if (pop.switch) pos["sw:" + pop.switch] = Object.assign({}, centre[pop.label]);
    });
    const rows = Math.ceil(topology.pops.length / columns);
    let spare = 0;
    const below = () => ({ x: (spare++) * 120, y: rows * SPACING + 40 });
    // Other switches (SAPs among them) hang below the PoP they are linked to.
    const popOfSwitch = Object.fromEntries(topology.pops.map(p => [p.switch, p.label]));
    const hanging = {};
    for (const sw of topology.switches) {
      if (pos["sw:" + sw.name]) continue;
      const link = topology.links.find(l => (l.a === sw.name && popOfSwitch[l.b]) ||
                                            (l.b === sw.name && popOfSwitch[l.a]));
      const pop = link ? popOfSwitch[link.a === sw.name ? link.b : link.a] : null;
      if (pop) (hanging[pop] = hanging[pop] || []).push(sw.name);
      else pos["sw:" + sw.name] = below();
    }
    for (const [pop, names] of Object.entries(hanging)) {
      names.forEach((name, k) => {
        pos["sw:" + name] = { x: centre[pop].x + (k - (names.length - 1) / 2) * 110,
                              y: centre[pop].y + 175 };
      });
    }
    const ring = {};
    for (const vnf of topology.vnfs) (ring[vnf.pop] = ring[vnf.pop] || []).push(vnf);
    for (const [pop, members] of Object.entries(ring)) {
      const middle = centre[pop];
      members.forEach((vnf, k) => {
        if (!middle) { pos["vnf:" + vnf.name] = below(); return; }
        const radius = 90 + 4 * members.length, angle = 2 * Math.PI * k / members.length + 0.6;
        pos["vnf:" + vnf.name] = { x: middle.x + radius * Math.cos(angle),
                                   y: middle.y + radius * Math.sin(angle) };
      });
    }
    for (const lan of topology.lans) {
      const spots = lan.members.map(m => pos["vnf:" + m.vnf]).filter(Boolean);  // VNFs only
      if (!spots.length) continue;
      pos["lan:" + lan.vlan] = { x: spots.reduce((a, p) => a + p.x, 0) / spots.length,
                                 y: spots.reduce((a, p) => a + p.y, 0) / spots.length - 40 };
    }
    return pos;
  }

  function layout() {
    const pos = positions(dashboard.topology);
    dashboard.cy.layout({ name: "preset", animate: false, fit: true, padding: 30,
                          positions: node => pos[node.id()] || { x: 0, y: 0 } }).run();
  }

  // A VNF or chain clicked in the graph: its table row, scrolled to and marked.
  function showRow(elementId) {
    const [kind, ...rest] = elementId.split(":");
    const key = rest.join(":");
    const table = kind === "vnf" ? "vnfs" : "chains";
    const row = [...document.querySelectorAll("#" + table + " tbody tr")]
      .find(r => r.dataset.key === key);
    if (!row) return;
    document.querySelectorAll("tr.selected").forEach(r => r.classList.remove("selected"));
    row.classList.add("selected");
    row.scrollIntoView({ block: "center" });
  }

  // -- tables ------------------------------------------------------------------------

  function fillTable(id, items, key, cells) {
    const body = document.querySelector("#" + id + " tbody");
    const rows = new Map([...body.children].map(row => [row.dataset.key, row]));
    if (!items.length) {
      body.replaceChildren(el("tr", { class: "none" },
                              [el("td", { class: "empty", colSpan: 99, text: "none" })]));
      return;
    }
    const ordered = items.map(item => {
      const k = key(item);
      let row = rows.get(k);
      if (!row) row = el("tr", { "data-key": k });
      row.replaceChildren(...cells(item, row).map(cell => cell instanceof Node ? cell
                                                  : el("td", { text: cell })));
      return row;
    });
    body.replaceChildren(...ordered);
  }

  function chartCell(key, series) {
    const cell = el("td", { class: "chart", "data-chart": key });
    let chart = dashboard.charts[key];
    if (!chart) {
      chart = { node: el("div"), plot: null, series: series };
      dashboard.charts[key] = chart;
    }
    cell.appendChild(chart.node);
    return cell;
  }

  function numberCell(metric, value, text) {
    const cell = el("td", { class: "num", text: text, "data-metric": metric });
    if (value !== null && value !== undefined) cell.dataset.value = value;
    return cell;
  }

  function drawTables(topology, metrics) {
    const m = metrics || { vnfs: {}, interfaces: {}, chains: {} };
    const colors = serviceColors(topology);
    fillTable("vnfs", topology.vnfs, v => v.name, v => {
      const usage = m.vnfs[v.name] || {};
      const service = serviceOf(topology, v.name);
      return [v.name, v.pop || "–", v.image || "–",
              service ? el("td", {}, [el("span", { class: "swatch",
                                                   style: "background:" + colors[v.name] }),
                                      document.createTextNode(service.name)]) : "–",
              el("td", {}, v.interfaces.map(i => el("div", {
                class: "intf", text: i.name + " " + (i.ip || "") }))),
              numberCell("cpu", usage.cpu_percent, percent(usage.cpu_percent)),
              chartCell("cpu:" + v.name, ["CPU %"]),
              numberCell("memory", usage.memory_bytes, mebibytes(usage.memory_bytes)),
              chartCell("mem:" + v.name, ["MiB"])];
    });
    const interfaces = topology.vnfs.flatMap(v => v.interfaces.map(i => Object.assign(
      { vnf: v.name }, i)));
    fillTable("interfaces", interfaces, i => i.vnf + ":" + i.name, i => {
      const rates = m.interfaces[i.vnf + ":" + i.name] || {};
      return [i.vnf + ":" + i.name, i.ip || "–", i.mac || "–",
              i.switch ? i.switch + " port " + i.port : "–",
              numberCell("rx", rates.rx_bps, bits(rates.rx_bps)),
              numberCell("tx", rates.tx_bps, bits(rates.tx_bps)),
              chartCell("intf:" + i.vnf + ":" + i.name, ["rx", "tx"])];
    });
    fillTable("chains", topology.chains, c => c.id, c => {
      const rates = m.chains[c.id] || {};
      return [c.vnf_src_name + ":" + c.vnf_src_interface,
              c.vnf_dst_name + ":" + c.vnf_dst_interface, String(c.cookie),
              c.vlan === null ? "–" : String(c.vlan),
              c.path.join(" › "), numberCell("rate", rates.bps, bits(rates.bps)),
              chartCell("chain:" + c.id, ["bit/s"])];
    });
    fillTable("lans", topology.lans, l => String(l.vlan), l => [
      String(l.vlan), String(l.cookie),
      l.members.map(x => x.vnf + ":" + x.interface + " @" + x.switch).join(", ")]);
    fillTable("pops", topology.pops, p => p.label, p => [
      p.label, p.switch || "–", String(topology.vnfs.filter(v => v.pop === p.label).length)]);
    fillTable("links", topology.links, l => l.id, l => [
      l.a + " (" + l.a_port + ")", l.b + " (" + l.b_port + ")",
      l.bw ? l.bw + " Mbit/s" : "unshaped", l.delay ? l.delay + " ms" : "–",
      l.loss ? l.loss + " %" : "–"]);
    fillTable("saps", topology.saps, s => s.name, s => [s.name, s.ip, s.switch]);
  }

  function drawServices(topology) {
    const box = document.getElementById("services");
    const colors = serviceColors(topology);
    if (!topology.services.length) {
      box.replaceChildren(el("p", { class: "empty", text: "none" }));
      return;
    }
    box.replaceChildren(...topology.services.map(s => el("div", {
      class: "service", "data-service": s.uuid, style: "border-left-color:" + colors[s.uuid] }, [
      el("div", { class: "title", text: s.name }),
      el("div", { class: "meta", text: s.kind + " · " + s.status +
                                       (s.cookie ? " · cookie " + s.cookie : "") }),
      el("div", { text: "VNFs: " + (s.vnfs.join(", ") || "–") }),
      s.saps.length ? el("div", { text: "SAPs: " + s.saps.join(", ") }) : null,
      el("div", { class: "meta", text: s.links.map(l => l.id + " (" + l.type + ")").join(", ") }),
    ])));
  }

  // -- charts ------------------------------------------------------------------------

  function record(key, time, values) {
    let history = dashboard.histories[key];
    if (!history) history = dashboard.histories[key] = [[]].concat(values.map(() => []));
    history[0].push(time);
    values.forEach((v, i) => history[i + 1].push(v === undefined ? null : v));
    if (history[0].length > HISTORY) history.forEach(series => series.shift());
    return history;
  }

  function drawChart(key, history) {
    const chart = dashboard.charts[key];
    if (!chart || !chart.node.isConnected) return;
    if (!chart.plot) {
      const colors = ["#2f6fd6", "#e07b18"];
      chart.plot = new uPlot({
        width: 148, height: 34, legend: { show: false }, cursor: { show: false },
        axes: [{ show: false }, { show: false }],
        scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(max, 1e-9)] } },
        series: [{}].concat(chart.series.map((label, i) => ({
          label: label, stroke: colors[i % 2], width: 1.5, points: { show: false }, fill: i ? null : "rgba(47,111,214,0.12)",
        }))),
      }, history, chart.node);
    } else {
      chart.plot.setData(history);
    }
  }

  function recordMetrics(metrics) {
    const t = metrics.time;
    const updates = [];
    for (const [name, usage] of Object.entries(metrics.vnfs)) {
      updates.push(["cpu:" + name, [usage.cpu_percent]]);
      updates.push(["mem:" + name, [usage.memory_bytes === null ? null
                                    : usage.memory_bytes / 1048576]]);
    }
    for (const [name, rates] of Object.entries(metrics.interfaces)) {
      updates.push(["intf:" + name, [rates.rx_bps, rates.tx_bps]]);
    }
    for (const [id, rates] of Object.entries(metrics.chains)) {
      updates.push(["chain:" + id, [rates.bps]]);
    }
    for (const [key, values] of updates) drawChart(key, record(key, t, values));
    // VNFs, interfaces and chains that are gone take their charts with them.
    const live = new Set(updates.map(([key]) => key));
    for (const key of Object.keys(dashboard.histories)) {
      if (live.has(key)) continue;
      delete dashboard.histories[key];
      const chart = dashboard.charts[key];
      if (chart && chart.plot) chart.plot.destroy();
      delete dashboard.charts[key];
    }
  }

  // -- wiring ------------------------------------------------------------------------

  function render() {
    const topology = dashboard.topology;
    if (!topology) return;
    document.getElementById("run").textContent = topology.run_id
      ? "run " + topology.run_id + (topology.stopped ? " (stopped)" : "") : "no network";
    document.getElementById("counts").textContent = [
      topology.pops.length + " PoPs", topology.vnfs.length + " VNFs",
      topology.chains.length + " chains", topology.lans.length + " E-LANs",
      topology.services.length + " services"].join(" · ");
    drawTables(topology, dashboard.metrics);
    drawServices(topology);
  }

  function connect() {
    const status = document.getElementById("connection");
    const source = new EventSource("/dashboard/events");
    source.onopen = () => { status.textContent = "live"; status.className = "connection up"; };
    source.onerror = () => { status.textContent = "reconnecting"; status.className = "connection down"; };
    source.addEventListener("topology", event => {
      dashboard.topology = JSON.parse(event.data);
      drawGraph(dashboard.topology);
      render();
    });
    source.addEventListener("metrics", event => {
      dashboard.metrics = JSON.parse(event.data);
      dashboard.updates += 1;
      render();
      recordMetrics(dashboard.metrics);
    });
    dashboard.source = source;
  }

  connect();
})();
