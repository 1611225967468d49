/** Our code: the bundle bench/lib/build.ts made (as users run it), else src/ through tsx. */
import { built } from "./build";

type Ours = typeof import("./ours-entry");

const file = built("ours");

export const ours: Ours = file ? require(file) : require("./ours-entry");
