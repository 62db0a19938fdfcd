import assert from "node:assert/strict";
import { test } from "node:test";
import { fitLine, middleEllipsis, textWidth, type Figure } from "../../../src/cli/reporters/fit.js";

const figures: Figure[] = [
  { text: "42%", keep: 5 },
  { text: "42.0 MiB / 100 MiB", keep: 2 },
  { text: "50.0 MiB/s", keep: 3 },
  { text: "ETA 1s", keep: 4 },
  { text: "8 conn", keep: 1 },
];
const NAME = "ubuntu-24.04.2-desktop-amd64.iso";

test("textWidth counts East Asian characters and pictographs as two columns", () => {
  assert.equal(textWidth("demo.bin"), 8);
  assert.equal(textWidth("データ.zip"), 10);
  assert.equal(textWidth("사진🎉.png"), 10);
});

test("middleEllipsis keeps the start and the extension, within the width", () => {
  assert.equal(middleEllipsis(NAME, 40), NAME);
  assert.equal(middleEllipsis(NAME, 15), "ubuntu-…d64.iso");
  assert.equal(textWidth(middleEllipsis(NAME, 15)), 15);
  assert.equal(middleEllipsis(NAME, 1), "…");
  assert.equal(middleEllipsis(NAME, 0), "");
  // A wide character that does not fit whole is left out, not split.
  const wide = middleEllipsis("データベースのバックアップ.tar", 12);
  assert.ok(textWidth(wide) <= 12, wide);
  assert.equal(wide, "データ….tar");
});

test("fitLine: the name gives way first, then the least useful figures, never a figure's text", () => {
  assert.equal(
    fitLine(NAME, figures, 199),
    `${NAME}  42%  42.0 MiB / 100 MiB  50.0 MiB/s  ETA 1s  8 conn`,
  );
  assert.equal(
    fitLine(NAME, figures, 79),
    "ubuntu-24.04.…op-amd64.iso  42%  42.0 MiB / 100 MiB  50.0 MiB/s  ETA 1s  8 conn",
  );
  // Below 12 columns for the name, the connections go, then the bytes, then the speed...
  assert.equal(
    fitLine(NAME, figures, 59),
    "ubuntu-…64.iso  42%  42.0 MiB / 100 MiB  50.0 MiB/s  ETA 1s",
  );
  assert.equal(fitLine(NAME, figures, 39), "ubuntu-…64.iso  42%  50.0 MiB/s  ETA 1s");
  assert.equal(fitLine(NAME, figures, 20), "ubuntu-…d64.iso  42%");
  // ...and the last figure stays while the name has 3 columns.
  assert.equal(fitLine(NAME, figures, 8), "u…o  42%");
  assert.equal(fitLine(NAME, figures, 7), "ubu…iso");
  assert.equal(fitLine("", figures, 30), "42%  50.0 MiB/s  ETA 1s");

  for (let width = 0; width <= 200; width++) {
    const line = fitLine(NAME, figures, width);
    assert.ok(textWidth(line) <= width, `${JSON.stringify(line)} is wider than ${width}`);
    // Every figure shown is whole.
    const shown = line.split("  ").slice(1);
    for (const part of shown)
      assert.ok(
        figures.some((f) => f.text === part),
        part,
      );
  }
});
