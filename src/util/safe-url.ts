/**
 * Secrets never recorded or printed: URLs lose their credentials (`user:password@`) and the
 * values of key-like query parameters (`api_key`, `token`, `secret`, `password`, `sig`, ...)
 * before they go into `run.json`, a manifest or a message.
 */

/** Query parameter names whose values are secrets (matched case-insensitively, `-`/`_` ignored). */
const SECRET_PARAM = /^(api.?key|key|token|access.?token|auth|authorization|secret|client.?secret|password|passwd|pwd|pass|sig|signature|credential|credentials|session|x.?api.?key|x.?amz.?signature|x.?amz.?credential|x.?amz.?security.?token)$/i;

/** Whether query parameter `name` holds a secret. */
export function isSecretParam(name: string): boolean {
  return SECRET_PARAM.test(name.replace(/[-_]/g, '_')) || /(^|[_-])(key|token|secret|password)$/i.test(name);
}

/**
 * `url` with its credentials removed and the values of key-like query parameters replaced by
 * `***`. Text that is not a URL is returned unchanged.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url.replace(/\/\/[^@/\s]*@/, '//');
  }
  if (!u.username && !u.password && ![...u.searchParams.keys()].some(isSecretParam)) return url;
  u.username = '';
  u.password = '';
  for (const k of [...new Set(u.searchParams.keys())]) if (isSecretParam(k)) u.searchParams.set(k, '***');
  let out = u.toString();
  // URL encodes the placeholder; keep it readable.
  out = out.replace(/%2A%2A%2A/g, '***');
  return out;
}

/** Every URL inside `text` (a command line, a message) passed through {@link redactUrl}. */
export function redactSecrets(text: string): string {
  return text.replace(/[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s"'<>]+/g, (m) => redactUrl(m));
}
