/** What the benchmark uses of our code (bundled by bench/lib/build.ts the way tsup builds dist/). */
export { readAnswer } from "../../src/lib/answer";
export { ImagesClient } from "../../src/lib/client";
export { readEditImages } from "../../src/lib/image-input";
export { modelRule } from "../../src/lib/models";
export { encodeEditForm } from "../../src/lib/multipart";
export { readFileLines } from "../../src/lib/batch-api";
export { imagesFromBody } from "../../src/lib/answer";
