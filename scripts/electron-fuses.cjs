// electron-builder afterPack hook (electron-builder.yml names it): flips Electron's fuses in the packed app,
// before it is signed. Fuses are bits in the Electron binary itself, so neither an environment variable nor a
// command-line flag can turn the app back into a general-purpose Node or a debuggable process.
// CommonJS because electron-builder loads hooks with require/import from the repository, not from dist/.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS module: require is how it imports */

const path = require('node:path');

/**
 * The fuse values every packaged Lifeboat ships with, by @electron/fuses option name:
 * - RunAsNode off: ELECTRON_RUN_AS_NODE=1 would make the signed binary run any script as Node.
 * - EnableNodeOptionsEnvironmentVariable off: NODE_OPTIONS=--require … would load code into the app.
 * - EnableNodeCliInspectArguments off: --inspect would open a debugger port into the engine (and its secrets).
 * - EnableCookieEncryption on: cookies at rest are sealed by the OS keystore.
 * - EnableEmbeddedAsarIntegrityValidation on: app.asar must match the hash electron-builder embeds in the
 *   binary (Windows and macOS), so the app cannot be edited after signing.
 * - OnlyLoadAppFromAsar on: the app is loaded from app.asar only, never from a planted resources/app folder.
 */
const LIFEBOAT_FUSES = Object.freeze({
  RunAsNode: false,
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  EnableCookieEncryption: true,
  EnableEmbeddedAsarIntegrityValidation: true,
  OnlyLoadAppFromAsar: true,
});

// builder-util's Arch enum (context.arch): ia32 0, x64 1, armv7l 2, arm64 3, universal 4.
const ARCH_ARM64 = 3;
const ARCH_UNIVERSAL = 4;

/**
 * The Electron binary inside the packed app (`context.appOutDir`), as electron-builder names it: Windows
 * `<productFilename>.exe`, macOS `<productFilename>.app` (@electron/fuses finds the framework inside),
 * Linux the executable name (lower-case product name unless configured).
 */
function electronBinaryPath(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  switch (electronPlatformName) {
    case 'win32':
      return path.join(appOutDir, `${packager.appInfo.productFilename}.exe`);
    case 'darwin':
    case 'mas':
      return path.join(appOutDir, `${packager.appInfo.productFilename}.app`);
    case 'linux':
      return path.join(appOutDir, packager.executableName);
    default:
      throw new Error(`electron-fuses: no Electron binary known for platform "${electronPlatformName}"`);
  }
}

/** The config flipFuses takes: `fuses` is the @electron/fuses module (its FuseVersion and FuseV1Options). */
function fuseConfig(fuses, context) {
  const config = {
    version: fuses.FuseVersion.V1,
    // An arm64 (or universal) macOS binary must be re-signed ad hoc after the flip, or it will not start unsigned.
    resetAdHocDarwinSignature:
      context.electronPlatformName === 'darwin' && (context.arch === ARCH_ARM64 || context.arch === ARCH_UNIVERSAL),
  };
  for (const [name, value] of Object.entries(LIFEBOAT_FUSES)) {
    const index = fuses.FuseV1Options[name];
    if (typeof index !== 'number') throw new Error(`electron-fuses: @electron/fuses has no fuse ${name}`);
    config[index] = value;
  }
  return config;
}

/** An afterPack hook using `fuses` (the @electron/fuses module; tests pass one with a recording flipFuses). */
function makeAfterPack(fuses) {
  return async function afterPack(context) {
    const binary = electronBinaryPath(context);
    await fuses.flipFuses(binary, fuseConfig(fuses, context));
  };
}

/** What electron-builder calls: @electron/fuses is loaded only then, so reading this module needs nothing. */
async function afterPack(context) {
  await makeAfterPack(require('@electron/fuses'))(context);
}

exports.LIFEBOAT_FUSES = LIFEBOAT_FUSES;
exports.electronBinaryPath = electronBinaryPath;
exports.fuseConfig = fuseConfig;
exports.makeAfterPack = makeAfterPack;
exports.afterPack = afterPack;
