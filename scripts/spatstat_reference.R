# Reference values for tests/test_pointpattern_spatstat.py, computed with R spatstat.
#
#   Rscript scripts/spatstat_reference.R            (writes tests/reference/spatstat/*.csv)
#
# R and spatstat from Debian 12: apt-get install r-base-core r-cran-spatstat (spatstat 3.0-3,
# spatstat.explore 3.0-6, spatstat.model 3.2-1).  The tests read the committed CSV files and do
# not need R.  Every value is printed with 17 significant digits.
suppressMessages(library(spatstat))
out <- "tests/reference/spatstat"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
wr <- function(df, name) write.csv(df, file.path(out, name), row.names = FALSE)
options(digits = 17)
fmt <- function(x) sprintf("%.17g", x)

# --- patterns ---------------------------------------------------------------------------------
# An L-shaped window with a square hole (the one of tests/test_pointpattern.py), and a
# clustered pattern in it.
LW <- owin(poly = list(list(x = c(0, 2, 2, 1, 1, 0), y = c(0, 0, 1, 1, 2, 2)),
                       list(x = c(0.3, 0.3, 0.7, 0.7), y = c(0.3, 0.7, 0.7, 0.3))))
set.seed(20261129)
LX <- rThomas(12, 0.08, 6, win = LW)
wr(data.frame(x = fmt(LX$x), y = fmt(LX$y)), "lshape_thomas.csv")
# amacrine (two types, rectangle [0, 1.6] x [0, 1])
wr(data.frame(x = fmt(amacrine$x), y = fmt(amacrine$y), type = as.character(marks(amacrine))),
   "amacrine.csv")
wr(data.frame(xmin = fmt(Window(amacrine)$xrange[1]), xmax = fmt(Window(amacrine)$xrange[2]),
              ymin = fmt(Window(amacrine)$yrange[1]), ymax = fmt(Window(amacrine)$yrange[2])),
   "amacrine_window.csv")
wr(data.frame(x = fmt(japanesepines$x), y = fmt(japanesepines$y)), "japanesepines.csv")

# --- pair correlation (Epanechnikov, translation and isotropic) -------------------------------
# spatstat's pcf smooths with density.default (binned FFT), an approximation; the exact kernel
# sum of the same estimator, with spatstat's own close pairs and edge weights, is given too.
pcf_exact <- function(X, r, correction) {
  n <- npoints(X); lam <- n / area(Window(X))
  h <- 0.15 / sqrt(lam)                       # stoyan = 0.15: Epanechnikov half-width
  cp <- closepairs(X, max(r) + h, what = "all")
  d <- cp$d
  e <- if (correction == "translate") edge.Trans(dx = cp$dx, dy = cp$dy, W = Window(X),
                                                 paired = TRUE)
       else edge.Ripley(ppp(cp$xi, cp$yi, window = Window(X)), matrix(d, ncol = 1))
  sapply(r, function(rr) {
    u <- (rr - d) / h
    k <- ifelse(abs(u) < 1, 0.75 * (1 - u^2) / h, 0)
    sum(k * e) / (2 * pi * rr * n * (n - 1) / area(Window(X)))
  })
}
rg <- seq(0, 0.2, length.out = 41)
pc <- pcf(redwood, r = rg, kernel = "epanechnikov", correction = c("translate", "Ripley"))
wr(data.frame(r = fmt(rg), trans_exact = fmt(pcf_exact(redwood, rg, "translate")),
              iso_exact = fmt(pcf_exact(redwood, rg, "isotropic")),
              trans_spatstat = fmt(pc$trans), iso_spatstat = fmt(pc$iso)), "pcf_redwood.csv")
rl <- seq(0, 0.5, length.out = 26)
pl <- pcf(LX, r = rl, kernel = "epanechnikov", correction = "Ripley")
wr(data.frame(r = fmt(rl), iso_exact = fmt(pcf_exact(LX, rl, "isotropic")),
              iso_spatstat = fmt(pl$iso)), "pcf_lshape.csv")

# --- cross-type K, L and G (amacrine, "on" to "off") ------------------------------------------
rk <- c(0, seq(0.0013, 0.25, length.out = 40))  # off any lattice of the data
kc <- Kcross(amacrine, "on", "off", r = rk, correction = c("none", "isotropic", "translate"))
lc <- Lcross(amacrine, "on", "off", r = rk, correction = c("isotropic"))
wr(data.frame(r = fmt(rk), none = fmt(kc$un), iso = fmt(kc$iso), trans = fmt(kc$trans),
              L_iso = fmt(lc$iso)), "kcross_amacrine.csv")
gc <- Gcross(amacrine, "on", "off", correction = c("rs", "km"))
wr(data.frame(r = fmt(gc$r), rs = fmt(gc$rs), km = fmt(gc$km)), "gcross_amacrine.csv")

# --- inhomogeneous K and L with an estimated intensity ----------------------------------------
# Leave-one-out Gaussian kernel estimate at the points, sigma = 0.1, no edge correction (the
# edge-corrected estimate at points uses a pixel image of the window, an approximation).
lam <- density(redwood, sigma = 0.1, at = "points", leaveoneout = TRUE, edge = FALSE)
ki <- Kinhom(redwood, lambda = as.numeric(lam), r = rk, correction = c("isotropic", "translate"))
li <- Linhom(redwood, lambda = as.numeric(lam), r = rk, correction = "isotropic")
wr(data.frame(r = fmt(rk), iso = fmt(ki$iso), trans = fmt(ki$trans), L_iso = fmt(li$iso)),
   "kinhom_redwood.csv")
wr(data.frame(lambda = fmt(as.numeric(lam))), "kinhom_redwood_lambda.csv")

# --- cluster processes: theoretical K and minimum-contrast fits -------------------------------
info_T <- get("spatstatClusterModelInfo", asNamespace("spatstat.random"))("Thomas")
info_M <- get("spatstatClusterModelInfo", asNamespace("spatstat.random"))("MatClust")
rt <- seq(0, 0.25, length.out = 51)
wr(data.frame(r = fmt(rt),
              thomas = fmt(info_T$K(c(kappa = 20, scale = 0.05^2), rt)),
              matclust = fmt(info_M$K(c(kappa = 20, scale = 0.07), rt))), "cluster_K.csv")
fits <- list()
for (model in c("Thomas", "MatClust")) {
  for (nm in c("redwood", "lshape")) {
    X <- if (nm == "redwood") redwood else LX
    rmax <- if (nm == "redwood") 0.25 else 0.5
    rr <- seq(0, rmax, length.out = 513)
    f <- kppm(X ~ 1, clusters = model, method = "mincon", statistic = "K",
              statargs = list(correction = "isotropic", r = rr),
              rmin = rr[2], rmax = rmax)
    p <- parameters(f)
    fits[[length(fits) + 1]] <- data.frame(model = model, pattern = nm,
      kappa = fmt(p$kappa), scale = fmt(p$scale), mu = fmt(p$mu), rmin = fmt(rr[2]),
      rmax = fmt(rmax))
  }
}
wr(do.call(rbind, fits), "kppm_mincon.csv")

# --- Clark-Evans with the cdf correction, and spatstat's G grid -------------------------------
ce <- list()
for (nm in c("redwood", "cells", "japanesepines")) {
  X <- get(nm)
  G <- Gest(X, correction = "km")
  ce[[nm]] <- data.frame(pattern = nm, R_cdf = fmt(clarkevans(X, correction = "cdf")),
                         G_rmax = fmt(max(G$r)), G_nr = length(G$r))
}
wr(do.call(rbind, ce), "clarkevans_cdf.csv")

# --- the top of the r grid, and DCLF with it -------------------------------------------------
d <- sqrt((0.9 - 0.75)^2)                     # the cells pair at 0.15 + 2e-17
# evenly spaced grids (spatstat's efficient code, closepairs at rmax): with d at the top, and
# with d inside the grid
kt <- rbind(as.data.frame(Kest(cells, r = c(0, d / 2, d), correction = "none")),
            as.data.frame(Kest(cells, r = c(0, d / 2, d, 1.5 * d), correction = "none")))
wr(data.frame(r = fmt(kt$r), none = fmt(kt$un)), "kest_top_cells.csv")
dt <- dclf.test(japanesepines, Lest, nsim = 19, correction = "isotropic", use.theo = TRUE,
                verbose = FALSE)
mt <- mad.test(japanesepines, Lest, nsim = 19, correction = "isotropic", use.theo = TRUE,
               verbose = FALSE)
wr(data.frame(test = c("dclf", "mad"), statistic = fmt(c(dt$statistic[[1]], mt$statistic[[1]])),
              rmax = fmt(max(Lest(japanesepines, correction = "isotropic")$r))),
   "japanesepines_global.csv")
cat("written to", out, "\n")
