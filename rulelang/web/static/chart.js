// Draws the plotly figure the page carries as JSON (id="figure") into #timeline.
"use strict";
const figure = JSON.parse(document.getElementById("figure").textContent);
Plotly.newPlot("timeline", figure.data, figure.layout, { displaylogo: false, responsive: true });
