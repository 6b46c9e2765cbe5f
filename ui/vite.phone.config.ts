// The web phone: a second app beside the console, served by iampass-server under /phone/ (it
// embeds ui/dist-phone when it is built).
import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

export default defineConfig({
  root: "phone",
  base: "/phone/",
  plugins: [svelte()],
  clearScreen: false,
  build: { target: "safari15", outDir: "../dist-phone", emptyOutDir: true },
});
