using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Validators;
using LightNet.BenchmarkDotNet;
using Xunit;

namespace LightNet.Tests.BenchmarkDotNet;

public class UnavailableBackendsValidatorTests
{
    public class MixedSuite : ModelBenchmarkBase
    {
        public override IEnumerable<string> Models => ["squeezenet1_1"];

        public override IEnumerable<string> Backends => ["cpu-simd", "ort-directml", "no-such-backend"];
    }

    [Fact]
    public void Skipped_backends_are_reported_by_the_validator_with_their_reasons()
    {
        BenchmarkRunInfo info = BenchmarkConverter.TypeToBenchmarks(typeof(MixedSuite), DefaultConfig.Instance);
        Assert.Contains(UnavailableBackendsValidator.Instance, info.Config.GetValidators());
        Assert.All(info.BenchmarksCases, c => Assert.Equal("cpu-simd", c.Parameters["Backend"]));

        ValidationError[] errors = UnavailableBackendsValidator.Instance.Validate(new ValidationParameters(info.BenchmarksCases, info.Config)).ToArray();
        Assert.Equal(2, errors.Length);
        Assert.All(errors, e => Assert.False(e.IsCritical));
        Assert.Contains(errors, e => e.Message.Contains("'ort-directml'", StringComparison.Ordinal) && e.Message.Contains("Windows", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Message.Contains("'no-such-backend'", StringComparison.Ordinal) && e.Message.Contains("Unknown backend", StringComparison.Ordinal));
    }
}
