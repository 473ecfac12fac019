import { describe, expect, it } from "vitest";
import { meanAndStd } from "./MonitoringPanel";

describe("the input drift table", () => {
  it("writes means and standard deviations as the metrics tables write numbers", () => {
    expect(meanAndStd(0.2776, 0)).toBe("0.2776 ± 0"); // one value sent again and again
    expect(meanAndStd(14.127291739894552, 3.5240488051400496)).toBe("14.13 ± 3.52");
    expect(meanAndStd(654.8891036906854, 351.6047548177115)).toBe("654.89 ± 351.6");
    expect(meanAndStd(0.0627976098418278, 0.007054)).toBe("0.0628 ± 0.0071");
  });
});
