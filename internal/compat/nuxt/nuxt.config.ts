// A Nuxt app that uses @sidebase/nuxt-auth's authjs provider against
// Latch. cmd/latch's browser test generates it as static files (into the
// folders named by LATCH_NUXT_BUILD_DIR and LATCH_NUXT_OUTPUT_DIR) and
// serves them on Latch's origin, so the auth API at /api/auth is
// same-origin, as it is when Nuxt and Latch sit behind one proxy.
export default defineNuxtConfig({
  ssr: false,
  modules: ['@sidebase/nuxt-auth'],
  auth: {
    baseURL: '/api/auth',
    provider: { type: 'authjs' },
    disableServerSideAuth: true,
    globalAppMiddleware: false,
  },
  buildDir: process.env.LATCH_NUXT_BUILD_DIR || '.nuxt',
  nitro: { output: { dir: process.env.LATCH_NUXT_OUTPUT_DIR || '.output' } },
  telemetry: false,
  devtools: { enabled: false },
})
