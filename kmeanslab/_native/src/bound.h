// The certified error bound of the float32 screen (screen.h).
//
// The screen estimates G(c) = ||c||^2 - 2 x.c (F(x, c) less ||x||^2, which
// is the same for every centre) as
//     D(c) = fl32(s(c) - 2 p(c)),  s(c) = fl32(||c||^2),  p(c) = fl32 dot(x32, c32)
// with x32, c32 the float32 roundings of x and c. Writing u = 2^-24,
// g = d u / (1 - d u) and e = u64 = 2^-53:
//   |p(c) - x.c| <= g ||x32|| ||c32||           (recursive or FMA summation)
//                 + ||x - x32|| ||c|| + ||x32|| ||c - c32||  (Cauchy-Schwarz)
//   |s(c) - ||c||^2| <= (u + 2 (d + 1) e) ||c||^2
//   the final subtraction rounds once: <= u (|s(c)| + 2 |p(c)|)
// so |D(c) - G(c)| <= E, the sum of these with every norm replaced by its
// maximum over the centres. The reference F itself is a float64 sum of
// d + 1 roundings per term: |F - exact| <= rho = g64 (||x|| + max ||c||)^2,
// g64 = (d + 5) e / (1 - (d + 5) e). If c* minimises F, then
//     D(c*) <= G(c*) + E <= G(m) + E + 2 rho <= D(m) + 2 (E + rho)
// for m the screen's best, so every centre that can be F-nearest has
// D(c) <= min D + 2 (E + rho): when only one centre does, it is the label;
// otherwise the candidates are measured by F (the recheck).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

namespace kmeanslab {

constexpr double U32 = 0x1p-24;
constexpr double U64 = 0x1p-53;

struct CenterNorms {
  double norm;        // max ||c||
  double norm32;      // max ||c32||
  double error;       // max ||c - c32||
};

struct ScreenBound {
  double g, g64, s_term, tiny, inflate;
  CenterNorms c;

  ScreenBound(int64_t d, CenterNorms norms) : c(norms) {
    const double dd = static_cast<double>(d);
    g = dd * U32 / (1.0 - dd * U32);
    g64 = (dd + 5.0) * U64 / (1.0 - (dd + 5.0) * U64);
    s_term = (U32 + 2.0 * (dd + 1.0) * U64) * c.norm * c.norm
             + U32 * c.norm * c.norm * (1.0 + U32);
    // Gradual underflow in the float32 products adds at most 2^-150 per
    // operation, absolutely (the relative bounds above assume none).
    tiny = 4.0 * (dd + 2.0) * 0x1p-150;
    // The bound is itself evaluated in float64: a few dozen roundings of
    // relative e each, covered with room to spare by this factor.
    inflate = 1.0 + 64.0 * U64;
  }

  // The screen's margin for a row with ||x32|| = xn and ||x - x32|| = xe:
  // a centre is a candidate when D(c) <= min D + margin.
  double margin(double xn, double xe) const {
    const double dot = 2.0 * (g * xn * c.norm32 + xe * c.norm + xn * c.error);
    const double sub = 2.0 * U32 * xn * c.norm32 * (1.0 + g);
    const double reach = xn + xe + c.norm;
    const double rho = g64 * reach * reach;
    return 2.0 * (dot + s_term + sub + rho + tiny) * inflate;
  }
};

// The float32 threshold for min D = best and the given margin: the smallest
// float32 at or above best + margin (rounded up so no candidate is missed),
// +inf where that is not finite.
inline float screen_threshold(float best, double margin) {
  const double t = static_cast<double>(best) + margin;
  const double t_up = t + (std::fabs(t) + margin) * (4.0 * U64);
  if (!(t_up < static_cast<double>(std::numeric_limits<float>::max())))
    return std::numeric_limits<float>::infinity();
  float t32 = static_cast<float>(t_up);
  if (static_cast<double>(t32) < t_up) t32 = std::nextafter(t32, std::numeric_limits<float>::infinity());
  return t32;
}

// Largest product magnitude the float32 screen may form: below it no dot
// product, norm or difference of the screen can overflow float32.
constexpr double SCREEN_MAX = 0x1p120;

}  // namespace kmeanslab
