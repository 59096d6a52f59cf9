using LightNet.Profiling;
using Xunit;

namespace LightNet.Tests.Profiling;

public class LatencyStatisticsTests
{
    private static readonly double[] OneToTen = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

    [Fact]
    public void OneToTen_HandComputedValues()
    {
        var s = LatencyStatistics.FromSamples(OneToTen);

        Assert.Equal(10, s.Count);
        Assert.Equal(5.5, s.Mean, 12);
        // Sample standard deviation: sqrt(82.5 / 9).
        Assert.Equal(3.0276503540974917, s.StandardDeviation, 1e-12);
        Assert.Equal(3.02765, s.StandardDeviation, 1e-5);
        Assert.Equal(1.0, s.Min);
        Assert.Equal(10.0, s.Max);
        Assert.Equal(5.5, s.Median, 12);
        Assert.Equal(9.1, s.P90, 12);
        Assert.Equal(9.55, s.P95, 12);
        Assert.Equal(9.91, s.P99, 12);
        Assert.Equal(3.0276503540974917 / 5.5, s.CoefficientOfVariation, 12);
        Assert.Equal(0.9574271077563381, s.StandardError, 1e-12);
    }

    [Fact]
    public void OneToTen_MeanConfidenceInterval_UsesStudentT9()
    {
        var s = LatencyStatistics.FromSamples(OneToTen);

        // 5.5 ± t(0.975, 9) · s / √10 = 5.5 ± 2.262157 · 3.02765 / 3.16228 = 5.5 ± 2.165851.
        Assert.Equal(3.334149, s.MeanConfidenceInterval.Lower, 1e-4);
        Assert.Equal(7.665851, s.MeanConfidenceInterval.Upper, 1e-4);
        Assert.Equal(5.5 - 2.2621571627982 * 3.0276503540974917 / Math.Sqrt(10), s.MeanConfidenceInterval.Lower, 1e-9);
        Assert.Equal(0.95, s.MeanConfidenceInterval.Level);
        Assert.True(s.MeanConfidenceInterval.Contains(5.5));
    }

    [Fact]
    public void OneToTen_MedianConfidenceInterval_IsOrderStatistics2And9()
    {
        var s = LatencyStatistics.FromSamples(OneToTen);

        // n = 10: P(B <= 1) = 11/1024 <= 0.025 < P(B <= 2) = 56/1024, so ranks 2 and 9, coverage 1 - 22/1024.
        Assert.Equal(2.0, s.MedianConfidenceInterval.Lower);
        Assert.Equal(9.0, s.MedianConfidenceInterval.Upper);
        Assert.Equal(1.0 - 22.0 / 1024.0, s.MedianConfidenceInterval.Level, 1e-12);
    }

    [Fact]
    public void UnsortedInput_MedianIsTheMiddleValue()
    {
        var s = LatencyStatistics.FromSamples([3.0, 1.0, 2.0]);

        Assert.Equal(2.0, s.Median);
        Assert.Equal(2.0, s.Mean, 12);
        Assert.Equal(1.0, s.StandardDeviation, 12);
        Assert.Equal(1.0, s.Min);
        Assert.Equal(3.0, s.Max);
        Assert.Equal(2.8, s.P90, 12);
        // Fewer than 6 samples: the median's interval is [Min, Max], with coverage 1 - 2^(1-3) = 0.75.
        Assert.Equal(new ConfidenceInterval(1.0, 3.0, 0.75), s.MedianConfidenceInterval);
    }

    [Fact]
    public void SingleSample()
    {
        var s = LatencyStatistics.FromSamples([4.2]);

        Assert.Equal(1, s.Count);
        Assert.Equal(4.2, s.Mean);
        Assert.Equal(0.0, s.StandardDeviation);
        Assert.Equal(0.0, s.StandardError);
        Assert.Equal(4.2, s.Min);
        Assert.Equal(4.2, s.Max);
        Assert.Equal(4.2, s.Median);
        Assert.Equal(4.2, s.P90);
        Assert.Equal(4.2, s.P99);
        Assert.Equal(new ConfidenceInterval(4.2, 4.2, 0.95), s.MeanConfidenceInterval);
        Assert.Equal(4.2, s.MedianConfidenceInterval.Lower);
        Assert.Equal(4.2, s.MedianConfidenceInterval.Upper);
        Assert.Equal(0.0, s.MedianConfidenceInterval.Level);
        Assert.Equal(0.0, s.CoefficientOfVariation);
        Assert.Equal(1.0, s.Drift);
        Assert.False(s.IsDriftSuspicious());
    }

    [Fact]
    public void Percentile_Type7()
    {
        double[] sorted = [10, 20, 30, 40];

        Assert.Equal(10.0, LatencyStatistics.Percentile(sorted, 0.0));
        Assert.Equal(40.0, LatencyStatistics.Percentile(sorted, 1.0));
        Assert.Equal(25.0, LatencyStatistics.Percentile(sorted, 0.5), 12);
        // h = 3 · 0.9 = 2.7 → 30 + 0.7 · 10.
        Assert.Equal(37.0, LatencyStatistics.Percentile(sorted, 0.9), 12);
        Assert.Equal(17.5, LatencyStatistics.Percentile(sorted, 0.25), 12);
        Assert.Equal(7.0, LatencyStatistics.Percentile([7.0], 0.37));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.1)]
    [InlineData(double.NaN)]
    public void Percentile_InvalidProbability_Throws(double p)
    {
        var e = Assert.Throws<LightNetException>(() => LatencyStatistics.Percentile([1.0, 2.0], p));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("p ", e.Message);
    }

    [Fact]
    public void Percentile_UnsortedOrEmpty_Throws()
    {
        var e = Assert.Throws<LightNetException>(() => LatencyStatistics.Percentile([2.0, 1.0], 0.5));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("sortedAscending", e.Message);

        e = Assert.Throws<LightNetException>(() => LatencyStatistics.Percentile([], 0.5));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("sortedAscending", e.Message);

        e = Assert.Throws<LightNetException>(() => LatencyStatistics.Percentile([1.0, double.NaN], 0.5));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
    }

    [Theory]
    // Two-sided 95% table values, t(0.975, df).
    [InlineData(0.975, 1, 12.7062047361747, 1e-9)]
    [InlineData(0.975, 2, 4.30265272974946, 1e-9)]
    [InlineData(0.975, 5, 2.57058183563632, 1e-9)]
    [InlineData(0.975, 9, 2.26215716279821, 1e-9)]
    [InlineData(0.975, 10, 2.22813885198627, 1e-9)]
    [InlineData(0.975, 30, 2.04227245630124, 1e-9)]
    [InlineData(0.975, 100, 1.98397151852355, 1e-9)]
    [InlineData(0.975, 1000, 1.96233908082641, 1e-9)]
    // Other levels.
    [InlineData(0.995, 10, 3.16927267261695, 1e-9)]
    [InlineData(0.95, 20, 1.72471824292079, 1e-9)]
    [InlineData(0.999, 3, 10.2145318524074, 1e-9)]
    [InlineData(0.9, 4, 1.53320627405894, 1e-9)]
    public void StudentTQuantile_MatchesTables(double p, double df, double expected, double tolerance)
    {
        Assert.Equal(expected, LatencyStatistics.StudentTQuantile(p, df), tolerance);
        Assert.Equal(-expected, LatencyStatistics.StudentTQuantile(1.0 - p, df), tolerance);
    }

    [Fact]
    public void StudentTQuantile_RoundedTableValues()
    {
        Assert.Equal(12.7062, LatencyStatistics.StudentTQuantile(0.975, 1), 1e-4);
        Assert.Equal(2.5706, LatencyStatistics.StudentTQuantile(0.975, 5), 1e-4);
        Assert.Equal(2.0423, LatencyStatistics.StudentTQuantile(0.975, 30), 1e-4);
        Assert.Equal(2.262157, LatencyStatistics.StudentTQuantile(0.975, 9), 1e-6);
        Assert.Equal(1.95996, LatencyStatistics.StudentTQuantile(0.975, double.PositiveInfinity), 1e-5);
        Assert.Equal(0.0, LatencyStatistics.StudentTQuantile(0.5, 7));
    }

    [Fact]
    public void StudentTQuantile_LargeDegreesOfFreedom_ApproachesNormal()
    {
        double z = LatencyStatistics.NormalQuantile(0.975);

        Assert.Equal(z, LatencyStatistics.StudentTQuantile(0.975, double.PositiveInfinity));
        Assert.Equal(z, LatencyStatistics.StudentTQuantile(0.975, 1e12), 1e-10);
        // No visible jump where the Cornish–Fisher expansion takes over from the exact inversion.
        double at1000 = LatencyStatistics.StudentTQuantile(0.975, 1000);
        double at1001 = LatencyStatistics.StudentTQuantile(0.975, 1001);
        Assert.True(at1000 > at1001);
        Assert.True(at1000 - at1001 < 1e-5);
    }

    [Theory]
    [InlineData(0.025)]
    [InlineData(0.005)]
    [InlineData(1e-6)]
    public void CornishFisher_AgreesWithExactInversionAbove1000DegreesOfFreedom(double upperTail)
    {
        foreach (double df in new[] { 1001.0, 5000.0 })
        {
            double exact = LatencyStatistics.InvertStudentTUpperTail(upperTail, df);
            double expansion = LatencyStatistics.CornishFisherT(-LatencyStatistics.NormalQuantile(upperTail), df);
            Assert.Equal(exact, expansion, 1e-9);
        }
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(0.025)]
    [InlineData(0.0005)]
    [InlineData(1e-8)]
    public void NumericalInversion_MatchesClosedFormsForOneAndTwoDegreesOfFreedom(double q)
    {
        double oneDf = 1.0 / Math.Tan(Math.PI * q);
        double twoDf = (1.0 - 2.0 * q) / Math.Sqrt(2.0 * q * (1.0 - q));

        Assert.Equal(1.0, LatencyStatistics.InvertStudentTUpperTail(q, 1) / oneDf, 1e-10);
        Assert.Equal(1.0, LatencyStatistics.InvertStudentTUpperTail(q, 2) / twoDf, 1e-10);
    }

    [Theory]
    [InlineData(3.0)]
    [InlineData(7.5)]
    [InlineData(30.0)]
    [InlineData(250.0)]
    public void StudentTQuantile_RoundTripsThroughTheDistributionFunction(double df)
    {
        foreach (double p in new[] { 0.6, 0.9, 0.975, 0.999, 0.99999 })
        {
            double t = LatencyStatistics.StudentTQuantile(p, df);
            Assert.Equal(1.0 - p, LatencyStatistics.StudentTUpperTail(t, df), 1e-13);
        }
    }

    [Fact]
    public void NormalQuantile_KnownValues()
    {
        Assert.Equal(1.959963984540054, LatencyStatistics.NormalQuantile(0.975), 1e-14);
        Assert.Equal(-1.959963984540054, LatencyStatistics.NormalQuantile(0.025), 1e-14);
        Assert.Equal(2.5758293035489004, LatencyStatistics.NormalQuantile(0.995), 1e-13);
        Assert.Equal(3.090232306167813, LatencyStatistics.NormalQuantile(0.999), 1e-13);
        Assert.Equal(-6.361340902404056, LatencyStatistics.NormalQuantile(1e-10), 1e-12);
        Assert.Equal(0.0, LatencyStatistics.NormalQuantile(0.5));
    }

    [Theory]
    [InlineData(0.0, 5.0)]
    [InlineData(1.0, 5.0)]
    [InlineData(double.NaN, 5.0)]
    [InlineData(0.975, 0.0)]
    [InlineData(0.975, -1.0)]
    [InlineData(0.975, double.NaN)]
    public void StudentTQuantile_InvalidArguments_Throw(double p, double df)
    {
        var e = Assert.Throws<LightNetException>(() => LatencyStatistics.StudentTQuantile(p, df));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
    }

    [Fact]
    public void MedianConfidenceInterval_Twenty_IsOrderStatistics6And15()
    {
        double[] samples = Enumerable.Range(1, 20).Select(i => (double)i).ToArray();
        // Shuffled: the interval depends on the sorted values only.
        var rng = new Random(7);
        rng.Shuffle(samples);

        var s = LatencyStatistics.FromSamples(samples);

        // Binomial(20, 0.5): P(B <= 5) = 21700/2^20 = 0.0207 <= 0.025 < P(B <= 6) = 60460/2^20 = 0.0577,
        // so ranks j = 6 and k = 20 - 6 + 1 = 15, coverage 1 - 2 · 21700/2^20 = 0.958611.
        Assert.Equal(6.0, s.MedianConfidenceInterval.Lower);
        Assert.Equal(15.0, s.MedianConfidenceInterval.Upper);
        Assert.Equal(1.0 - 2.0 * 21700.0 / 1048576.0, s.MedianConfidenceInterval.Level, 1e-12);
        Assert.True(s.MedianConfidenceInterval.Level >= 0.95);
        Assert.Equal(10.5, s.Median, 12);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(5, 1, 5)]
    [InlineData(6, 1, 6)]
    [InlineData(10, 2, 9)]
    [InlineData(20, 6, 15)]
    [InlineData(30, 10, 21)]
    [InlineData(100, 40, 61)]
    public void MedianIntervalRanks_KnownRanks(int n, int lower, int upper)
    {
        var (j, k, coverage) = LatencyStatistics.MedianIntervalRanks(n);

        Assert.Equal(lower, j);
        Assert.Equal(upper, k);
        Assert.Equal(ExactCoverage(n, j), coverage, 1e-12);
    }

    [Fact]
    public void MedianIntervalRanks_AreTheNarrowestWithAtLeast95PercentCoverage()
    {
        for (int n = 6; n <= 300; n++)
        {
            var (j, k, coverage) = LatencyStatistics.MedianIntervalRanks(n);
            Assert.Equal(n - j + 1, k);
            Assert.True(coverage >= 0.95, $"n = {n}: coverage {coverage}");
            Assert.True(ExactCoverage(n, j + 1) < 0.95, $"n = {n}: rank {j + 1} would also reach 95%");
        }

        for (int n = 1; n < 6; n++)
        {
            var (j, k, coverage) = LatencyStatistics.MedianIntervalRanks(n);
            Assert.Equal((1, n), (j, k));
            Assert.Equal(1.0 - Math.Pow(2.0, 1 - n), coverage, 1e-15);
        }

        // Large n stays in log space (2^-n underflows) and near the normal approximation n/2 ± 0.98·√n.
        var (big, bigUpper, bigCoverage) = LatencyStatistics.MedianIntervalRanks(100_000);
        Assert.InRange(big, 49_680, 49_692);
        Assert.Equal(100_000 - big + 1, bigUpper);
        Assert.InRange(bigCoverage, 0.95, 0.951);
    }

    [Fact]
    public void Drift_LastQuarterTwentyPercentSlower_IsSuspicious()
    {
        var samples = new double[40];
        for (int i = 0; i < 40; i++)
        {
            // Small deterministic jitter; the last 10 runs are 20% slower than the first 10.
            double jitter = (i % 3 - 1) * 0.01;
            samples[i] = (i < 10 ? 10.0 : i < 30 ? 11.0 : 12.0) + jitter;
        }

        var s = LatencyStatistics.FromSamples(samples);

        Assert.Equal(1.2, s.Drift, 1e-2);
        Assert.True(s.IsDriftSuspicious());
        Assert.True(s.IsDriftSuspicious(1.15));
        Assert.False(s.IsDriftSuspicious(1.25));
    }

    [Fact]
    public void Drift_Flat_IsOneAndNotSuspicious()
    {
        var s = LatencyStatistics.FromSamples(Enumerable.Repeat(5.0, 40).ToArray());

        Assert.Equal(1.0, s.Drift);
        Assert.False(s.IsDriftSuspicious());
        Assert.Equal(0.0, s.CoefficientOfVariation);
        Assert.Equal(0.0, s.StandardDeviation);
        Assert.Equal(new ConfidenceInterval(5.0, 5.0, 0.95), s.MeanConfidenceInterval);
    }

    [Fact]
    public void Drift_UnfinishedWarmUp_IsSuspiciousToo()
    {
        // The first quarter is 25% slower than the last: the run got faster, so it was not steady either.
        double[] samples = [.. Enumerable.Repeat(12.5, 10), .. Enumerable.Repeat(10.0, 30)];

        var s = LatencyStatistics.FromSamples(samples);

        Assert.Equal(0.8, s.Drift, 12);
        Assert.True(s.IsDriftSuspicious());
    }

    [Fact]
    public void Drift_FewerThanEightSamples_IsOne()
    {
        Assert.Equal(1.0, LatencyStatistics.FromSamples([1, 1, 1, 5, 5, 5, 9]).Drift);
        // Eight samples: quarters of two, medians 1.5 and 9.5.
        Assert.Equal(9.5 / 1.5, LatencyStatistics.FromSamples([1, 2, 5, 5, 5, 5, 9, 10]).Drift, 12);
    }

    [Theory]
    [InlineData(0.9)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void IsDriftSuspicious_InvalidThreshold_Throws(double threshold)
    {
        var s = LatencyStatistics.FromSamples(OneToTen);

        var e = Assert.Throws<LightNetException>(() => s.IsDriftSuspicious(threshold));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("threshold", e.Message);
    }

    [Fact]
    public void CoefficientOfVariation()
    {
        var s = LatencyStatistics.FromSamples([2, 4, 4, 4, 5, 5, 7, 9]);

        // Mean 5, sample standard deviation sqrt(32 / 7) = 2.13809.
        Assert.Equal(5.0, s.Mean, 12);
        Assert.Equal(Math.Sqrt(32.0 / 7.0), s.StandardDeviation, 12);
        Assert.Equal(Math.Sqrt(32.0 / 7.0) / 5.0, s.CoefficientOfVariation, 12);
        Assert.Equal(0.427618, s.CoefficientOfVariation, 1e-6);

        Assert.Equal(0.0, LatencyStatistics.FromSamples([0.0, 0.0, 0.0]).CoefficientOfVariation);
    }

    [Fact]
    public void LargeOffset_StandardDeviationStaysAccurate()
    {
        var s = LatencyStatistics.FromSamples([1e9 + 1, 1e9 + 2, 1e9 + 3]);

        Assert.Equal(1.0, s.StandardDeviation, 1e-9);
    }

    [Fact]
    public void InvalidSamples_Throw()
    {
        AssertInvalid([], "at least one");
        AssertInvalid([1.0, double.NaN], "milliseconds[1]");
        AssertInvalid([1.0, 2.0, -0.5], "milliseconds[2]");
        AssertInvalid([double.PositiveInfinity], "milliseconds[0]");

        static void AssertInvalid(double[] samples, string expected)
        {
            var e = Assert.Throws<LightNetException>(() => LatencyStatistics.FromSamples(samples));
            Assert.Equal(ErrorCode.InvalidArgument, e.Code);
            Assert.Contains("milliseconds", e.Message);
            Assert.Contains(expected, e.Message);
        }
    }

    [Fact]
    public void RatioConfidenceInterval_ContainsTheTrueRatio()
    {
        // Baseline: mean exactly 10; candidate: mean exactly 5. True speed-up 2.
        double[] baseline = [.. Enumerable.Range(0, 30).Select(i => i % 2 == 0 ? 9.0 : 11.0)];
        double[] candidate = [.. Enumerable.Range(0, 30).Select(i => i % 2 == 0 ? 4.5 : 5.5)];
        var b = LatencyStatistics.FromSamples(baseline);
        var c = LatencyStatistics.FromSamples(candidate);

        var ci = LatencyStatistics.RatioConfidenceInterval(b, c);

        Assert.True(ci.Contains(2.0), $"{ci}");
        Assert.Equal(0.95, ci.Level);
        Assert.True(ci.Lower > 1.8 && ci.Upper < 2.2, $"{ci}");

        // Close to the delta method R ± t·R·√(cv_a²/n_a + cv_b²/n_b) for precise means.
        double se = 2.0 * Math.Sqrt(Math.Pow(b.StandardError / b.Mean, 2) + Math.Pow(c.StandardError / c.Mean, 2));
        double t = LatencyStatistics.StudentTQuantile(0.975, 58);
        Assert.Equal(2.0 - t * se, ci.Lower, 1e-2);
        Assert.Equal(2.0 + t * se, ci.Upper, 1e-2);
        // Fieller's interval is skewed upwards around the ratio.
        Assert.True(ci.Upper - 2.0 > 2.0 - ci.Lower);

        // The inverse ratio's interval is the reciprocal one's, approximately.
        var inverse = LatencyStatistics.RatioConfidenceInterval(c, b);
        Assert.True(inverse.Contains(0.5), $"{inverse}");
    }

    [Fact]
    public void RatioConfidenceInterval_CoversTheTrueRatioAbout95PercentOfTheTime()
    {
        var rng = new Random(12345);
        const int trials = 2000;
        int covered = 0;
        for (int trial = 0; trial < trials; trial++)
        {
            var a = LatencyStatistics.FromSamples(Normal(rng, 25, 12.0, 1.5));
            var b = LatencyStatistics.FromSamples(Normal(rng, 15, 8.0, 0.6));
            if (LatencyStatistics.RatioConfidenceInterval(a, b).Contains(12.0 / 8.0))
            {
                covered++;
            }
        }

        Assert.InRange(covered / (double)trials, 0.93, 0.97);
    }

    [Fact]
    public void RatioConfidenceInterval_EdgeCases()
    {
        var five = LatencyStatistics.FromSamples([5.0, 5.0, 5.0]);
        var two = LatencyStatistics.FromSamples([2.0, 2.0, 2.0]);
        Assert.Equal(new ConfidenceInterval(2.5, 2.5, 0.95), LatencyStatistics.RatioConfidenceInterval(five, two));

        // Single samples: no spread to estimate, so the point ratio.
        var single = LatencyStatistics.FromSamples([4.0]);
        Assert.Equal(new ConfidenceInterval(2.0, 2.0, 0.95), LatencyStatistics.RatioConfidenceInterval(single, LatencyStatistics.FromSamples([2.0])));

        // A denominator whose mean is not clearly above 0: Fieller's interval is unbounded.
        var noisy = LatencyStatistics.FromSamples([0.0, 0.0, 10.0]);
        var unbounded = LatencyStatistics.RatioConfidenceInterval(five, noisy);
        Assert.Equal(0.0, unbounded.Lower);
        Assert.Equal(double.PositiveInfinity, unbounded.Upper);

        var zero = LatencyStatistics.FromSamples([0.0, 0.0]);
        var e = Assert.Throws<LightNetException>(() => LatencyStatistics.RatioConfidenceInterval(five, zero));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("denominator", e.Message);

        Assert.Equal("numerator", Assert.Throws<ArgumentNullException>(() => LatencyStatistics.RatioConfidenceInterval(null!, five)).ParamName);
    }

    [Fact]
    public void ConfidenceInterval_WidthAndContains()
    {
        var ci = new ConfidenceInterval(1.0, 3.5, 0.95);

        Assert.Equal(2.5, ci.Width);
        Assert.True(ci.Contains(1.0));
        Assert.True(ci.Contains(3.5));
        Assert.False(ci.Contains(3.6));
    }

    /// <summary>Exact coverage 1 − 2·P(B ≤ j − 1) of the order statistics j and n − j + 1, B ~ Binomial(n, 0.5).</summary>
    private static double ExactCoverage(int n, int j)
    {
        // Sum in log space: the terms underflow for large n.
        double tail = 0.0;
        double logChoose = 0.0;
        for (int i = 0; i < j; i++)
        {
            tail += Math.Exp(logChoose - n * Math.Log(2.0));
            logChoose += Math.Log(n - i) - Math.Log(i + 1);
        }

        return 1.0 - 2.0 * tail;
    }

    private static double[] Normal(Random rng, int count, double mean, double std)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++)
        {
            // Box–Muller; clamped at 0 as latencies are (never reached with these parameters).
            double u1 = 1.0 - rng.NextDouble();
            double u2 = rng.NextDouble();
            double z = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
            values[i] = Math.Max(0.0, mean + std * z);
        }

        return values;
    }
}
