/**
 * parget's web interface: a client of the daemon's public JSON-RPC, like any script. The views
 * are in views/ (app.ts logs in, dashboard.ts lays out the rest), the daemon's state is followed
 * by daemon-state.ts, and the buttons' RPC calls are in actions.ts.
 */
import "uplot/dist/uPlot.min.css";
import "../app.css";
import { render } from "preact";
import { html } from "./html.js";
import { App } from "./views/app.js";

render(html`<${App} />`, document.getElementById("app")!);
