/** This package's version, reported as the bridge plugin's version. */
export const BRIDGE_VERSION = "0.1.0";
