/** What the benchmark uses of our code (bundled by bench/lib/build.ts the way tsup builds dist/). */
export { readAnswer } from "../../src/lib/answer/images-response";
export { ImagesClient } from "../../src/lib/http/client";
export { readEditImages } from "../../src/lib/check/image-input";
export { modelRule } from "../../src/lib/models/table";
export { encodeEditForm } from "../../src/lib/check/multipart";
export { readFileLines } from "../../src/lib/batch/api";
export { imagesFromBody } from "../../src/lib/answer/images-response";
