import type { NextConfig } from 'next';

const config: NextConfig = {
  // The embedded broker (Aedes) and the worker's MQTT client run in Node and load their own
  // dependencies at run time; nothing else needs configuring for the kit.
  serverExternalPackages: ['aedes', 'mqtt', 'ws'],
};

export default config;
