// ECharts types only its package entry; its one-file build (loaded by ../bench-chart.ts) is the same API.
declare module "echarts/dist/echarts.esm.min.mjs" {
  export * from "echarts";
}
