package dev.pulse.server;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The server's packages, one concern each, import each other in one direction only: a cycle
 * means two concerns that cannot be understood, changed or replaced apart (issue 20). The root
 * package, which wires them all into a server, is outside the slices.
 */
class PackageStructureTest {

    private static final JavaClasses SERVER = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.pulse.server");

    @Test
    void theServersPackagesHaveNoImportCycle() {
        slices().matching("dev.pulse.server.(*)..").should().beFreeOfCycles().check(SERVER);
    }
}
