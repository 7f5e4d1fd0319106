/**
 * The renderer's Content-Security-Policy, sent by every transport that serves it (Electron's app:// protocol,
 * browser mode). Mantine writes style attributes and <style> tags, hence 'unsafe-inline' for styles only;
 * scripts come from our own bundle, nowhere else.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');
