// A Nuxt app that uses @sidebase/nuxt-auth's authjs provider against
// Latch. cmd/latch's browser tests generate it as static files (into the
// folders named by LATCH_NUXT_BUILD_DIR and LATCH_NUXT_OUTPUT_DIR). Served
// on Latch's origin, it reaches the auth API at /api/auth, as when Nuxt
// and Latch sit behind one proxy; with LATCH_NUXT_AUTH_URL (Latch's full
// auth URL) it is served from another origin and calls Latch there.
const authURL = process.env.LATCH_NUXT_AUTH_URL

export default defineNuxtConfig({
  ssr: false,
  modules: ['@sidebase/nuxt-auth'],
  auth: {
    baseURL: authURL || '/api/auth',
    disableInternalRouting: !!authURL,
    provider: { type: 'authjs' },
    disableServerSideAuth: true,
    globalAppMiddleware: false,
  },
  buildDir: process.env.LATCH_NUXT_BUILD_DIR || '.nuxt',
  nitro: { output: { dir: process.env.LATCH_NUXT_OUTPUT_DIR || '.output' } },
  telemetry: false,
  devtools: { enabled: false },
})
