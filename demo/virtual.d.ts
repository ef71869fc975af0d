declare module 'virtual:demo-config' {
  const config: import('./config.js').DemoPageConfig;
  export default config;
}
