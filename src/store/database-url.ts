/** `postgres://user:secret@host:5433/db` → `host:5433/db`: what messages name, never credentials. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const db = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${db ? `/${db}` : ''}`;
  } catch {
    return 'an invalid URL';
  }
}
