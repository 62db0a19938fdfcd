/**
 * The parts of undici the transport uses, loaded module by module. undici's index loads all of
 * undici (fetch, WebSocket, caches, mocks): ~10 MiB of resident memory that a download never
 * uses, against a budget of 100 MiB for the whole process.
 */
import Client from "undici/lib/dispatcher/client.js";
import Dispatcher from "undici/lib/dispatcher/dispatcher.js";
import ProxyAgent from "undici/lib/dispatcher/proxy-agent.js";
import buildConnector from "undici/lib/core/connect.js";
import connect from "undici/lib/api/api-connect.js";

// undici's index gives every dispatcher its API methods; ProxyAgent opens CONNECT tunnels with one.
Object.assign(Dispatcher.prototype, { connect });

export { Client, ProxyAgent, buildConnector };
