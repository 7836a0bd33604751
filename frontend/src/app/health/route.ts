// Same-origin proxy for GET /health to API_URL (read at runtime). See next.config.ts.
import { forwardToApi } from '@/lib/server/upstream';

export const dynamic = 'force-dynamic';

export { forwardToApi as GET, forwardToApi as HEAD };
