/**
 * A request against a config node's budget: its worst case reserved before sending (or refused), and whether a
 * failed request may have been billed (then its reservation counts as spent) or surely was not (it is given back).
 */
import { ImagesApiError, isImagesApiError } from "../errors";
import type { Budget, Reservation } from "./budget";
import { estimateCost, type PricedRequest } from "./price";

/** Reserves the request's worst case on the config node's budget (none set: nothing to do). Throws budget_exceeded. */
export function reserve(server: { budget?: Budget; pricePerImage?: number }, req: PricedRequest): Reservation | undefined {
  if (!server.budget) return undefined;
  const estimate = estimateCost(req, server);
  if (!estimate) {
    throw new ImagesApiError(
      "budget_exceeded",
      `the budget cannot be kept: ${req.model} has no price in the price table; set the config node's price per image`,
      { retryable: false },
    );
  }
  const n = typeof req.params.n === "number" ? req.params.n : 1;
  return server.budget.reserve(estimate.worstUsd, `this request (${req.model}, ${n} image${n === 1 ? "" : "s"})`);
}

/**
 * Whether a failed request may have cost money. Not when the API answered with an error status (it does not bill
 * those) or nothing had been sent (refused before sending, the connection failed first); it may have when the
 * outcome is unknown (the time ran out or the connection was lost after sending), when a 2xx answer could not be
 * used, a stream was cut short or a download failed after the image was made.
 */
export function mayHaveBeenBilled(err: unknown): boolean {
  if (!isImagesApiError(err)) return true;
  const status = err.cause.statusCode;
  if (status !== undefined) return status >= 200 && status < 300;
  return err.cause.outcomeUnknown === true || err.code === "stream_incomplete" || err.code === "download_failed";
}
