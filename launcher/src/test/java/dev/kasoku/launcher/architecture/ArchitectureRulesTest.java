package dev.kasoku.launcher.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Checks {@link ArchitectureRules} against every main class of the build (common, each service, the
 * launcher: all of them are on this module's test classpath), and each rule against a deliberate
 * violation under an {@code archfixture} package of this test tree, so that a rule which cannot
 * fail does not pass for years unnoticed.
 */
class ArchitectureRulesTest {
  /** Main code only: no test classes, whether from a test-classes directory or a tests jar. */
  private static final ImportOption MAIN_ONLY = location -> !isTest(location);
  private static JavaClasses main;

  @BeforeAll
  static void importMainClasses() {
    main = new ClassFileImporter().withImportOption(MAIN_ONLY).importPackages("dev.kasoku");
  }

  private static boolean isTest(Location location) {
    return location.contains("/test-classes/") || location.contains("-tests.jar");
  }

  @Test
  void theMainCodeHasClassesOfEveryModule() {
    // guards the rules against passing on an empty import
    for (String root : ArchitectureRules.SERVICES) {
      assertThat(main.stream().anyMatch(c -> c.getPackageName().startsWith(root))).as(root).isTrue();
    }
    assertThat(main.containPackage("dev.kasoku.common.bus")).isTrue();
    assertThat(main.stream().noneMatch(c -> c.getPackageName().contains("archfixture"))).isTrue();
  }

  @TestFactory
  Stream<DynamicTest> noServiceUsesAnotherServicesClasses() {
    return ArchitectureRules.SERVICES.stream().map(service -> DynamicTest.dynamicTest(service,
        () -> ArchitectureRules.serviceIndependent(service).check(main)));
  }

  @Test
  void noServiceUsesAStoreImplementation() {
    ArchitectureRules.NO_STORE_IMPLEMENTATION_OUTSIDE_COMMON.check(main);
  }

  @Test
  void theSharedKernelHasNoPackageCycle() {
    ArchitectureRules.NO_CYCLES_IN_COMMON.check(main);
  }

  @Test
  void onlyCommonBusTalksToTheEventBusWithAnAddress() {
    ArchitectureRules.ADDRESSES_ONLY_IN_BUS.check(main);
  }

  @Test
  void mainCodeWritesNothingToTheConsoleButTheStartUpLine() {
    ArchitectureRules.NO_CONSOLE_OUTPUT.check(main);
  }

  @Test
  void aServiceUsingAnotherServicesClassIsCaught() {
    assertViolated(ArchitectureRules.serviceIndependent("dev.kasoku.auth"), "dev.kasoku.auth.archfixture",
        "ConfigVerticle");
  }

  @Test
  void aServiceNamingAStoreImplementationIsCaught() {
    assertViolated(ArchitectureRules.NO_STORE_IMPLEMENTATION_OUTSIDE_COMMON, "dev.kasoku.purge.archfixture",
        "EmbeddedStore");
  }

  @Test
  void aPackageCycleInTheSharedKernelIsCaught() {
    assertViolated(ArchitectureRules.NO_CYCLES_IN_COMMON, "dev.kasoku.common.archfixture", "Cycle detected");
  }

  @Test
  void anAddressOutsideCommonBusIsCaught() {
    assertViolated(ArchitectureRules.ADDRESSES_ONLY_IN_BUS, "dev.kasoku.config.archfixture", "EventBus.publish");
  }

  @Test
  void consoleOutputAndPrintStackTraceAreCaught() {
    EvaluationResult result = fixtures("dev.kasoku.metrics.archfixture", ArchitectureRules.NO_CONSOLE_OUTPUT);
    assertThat(result.hasViolation()).isTrue();
    assertThat(result.getFailureReport().getDetails())
        .anyMatch(d -> d.contains("System.out"))
        .anyMatch(d -> d.contains("printStackTrace"));
  }

  private static void assertViolated(ArchRule rule, String fixturePackage, String expected) {
    EvaluationResult result = fixtures(fixturePackage, rule);
    assertThat(result.hasViolation()).as("%s on %s", rule.getDescription(), fixturePackage).isTrue();
    assertThat(result.getFailureReport().getDetails()).anyMatch(d -> d.contains(expected));
  }

  private static EvaluationResult fixtures(String fixturePackage, ArchRule rule) {
    JavaClasses fixtures = new ClassFileImporter().importPackages(fixturePackage);
    assertThat(fixtures).as("fixture classes in %s", fixturePackage).isNotEmpty();
    return rule.evaluate(fixtures);
  }
}
