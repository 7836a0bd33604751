// Same-origin proxy for /api/* to API_URL (read at runtime). See next.config.ts.
import { forwardToApi } from '@/lib/server/upstream';

export const dynamic = 'force-dynamic';

export {
  forwardToApi as GET,
  forwardToApi as HEAD,
  forwardToApi as POST,
  forwardToApi as PUT,
  forwardToApi as PATCH,
  forwardToApi as DELETE,
  forwardToApi as OPTIONS,
};
